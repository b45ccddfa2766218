"""An emulated organization: the stack deployed into moto's server, then verified and reported on, no AWS account.

``org-backup demo`` (``make demo``): ``server`` starts moto, ``organization`` creates the inventory's
organization with its own ids, ``apply`` turns the offline preview's recorded resources into the AWS calls the
provider would make (``appliers`` is the table), ``standin`` answers what moto lacks, ``seed`` adds workloads and
a job history, and ``command`` runs verify and the audit report against it all. Nothing here reaches AWS.
"""
