"""Workflow glue: the plan of what the Snakemake workflow builds, and the workflow files of an installed package."""
