# PyInstaller runtime hook of the Linux bundle, run before main.py: the bundle keeps only the
# CUDA libraries torch needs to import (packaging/bundle_libraries.py), not the ones a GPU
# run opens later (cuDNN's engines, cuSOLVER), so it trains on the CPU.
# Hiding the GPUs keeps torch from choosing one; `run.device = "cuda"` says why it can't.
import os

os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["OVERFIT_LAB_CPU_BUILD"] = "1"
