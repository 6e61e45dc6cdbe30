"""Preparing a dataset for training: deterministic splits and the fitted preprocessing pipeline."""
