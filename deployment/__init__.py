"""What a configuration deploys where, and the checks that can only judge it through what it deploys.

Layers, each importing only those below it (pinned by ``tests/test_layers.py``):
``policies.backup_rules`` (AWS's rules) < ``stackconfig`` (what the user wrote) < ``components.documents``
(the pure builders of what is deployed) < ``deployment`` (the layout, and the loader's entry points with the
document checks) < ``components`` (Pulumi) and ``org_backup`` (the command line).
"""
