"""Who can destroy backups: the access analysis of the generated vault, key, role and SCP documents.

``analyse(resources)`` reads what a stack registers (``stack``), asks an independent evaluator (IAMSpy's Z3
model, combined by AWS's evaluation logic in ``evaluator``) about every vault and key, and returns the
matrix (``matrix``). The pack imports this package as ``access``, the program and tools as
``policies.access``: it imports nothing outside itself but IAMSpy and z3.
"""

from .actions import ACTION_CLASSES
from .matrix import AccessMatrix, Cell, analyse

__all__ = ["ACTION_CLASSES", "AccessMatrix", "Cell", "analyse"]
