"""Helpers of the ablation scripts (scripts/ablate.py, scripts/select_k.py): labelled real data sets
prepared with the pipeline's own stages, evaluation of stage settings over seeds, and reports."""
