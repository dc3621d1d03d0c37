"""What this machine can compute fast: the processor's flags, native bf16 on the CPU and on the GPU.

One function per fact; `training.mixed_precision` (notebook 03), `fast_inference.use_cpu_bf16`
(notebook 05) and `make bench` decide with them, the CPU by one rule (`cpu_bf16_choice`).
"""
from __future__ import annotations

import os
import platform
import re
from typing import Any

import torch

CPUINFO = "/proc/cpuinfo"
SPEED_FLAGS = {"avx2", "avx512f", "avx512_bf16", "amx_bf16"}  # what a figure measured on this CPU depends on


def cpu_flags(cpuinfo: str = CPUINFO) -> set[str] | None:
    """The processor's feature flags from /proc/cpuinfo (x86 `flags`, Arm `Features`); None where it is absent."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as file:
            for line in file:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return set(value.split())
    except OSError:
        return None
    return None


def cpu_name(cpuinfo: str = CPUINFO) -> str:
    """The processor's model name from /proc/cpuinfo, "unknown" where it names none or is absent."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    name = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return name.group(1).strip() if name else "unknown"


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX on x86, BF16 on Arm) and oneDNN may use it.

    oneDNN's own answer (`torch.ops.mkldnn._is_mkldnn_bf16_supported()`) is True on any AVX-512 CPU, where bf16
    is emulated; so the processor's flags decide where /proc/cpuinfo lists them. Without native bf16 (an
    AVX2-only CPU, say) bf16 training was 5.6 times slower than fp32.
    """
    try:
        onednn = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False
    flags = cpu_flags()
    if not onednn or flags is None:  # limited kernels (ONEDNN_MAX_CPU_ISA), or no /proc/cpuinfo: oneDNN decides
        return onednn
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def cpu_bf16_choice(cpu_bf16: bool | str, native: bool, task: str) -> tuple[bool, str, str | None]:
    """The one CPU bf16 rule, for training (`training.mixed_precision`) and inference (`fast_inference.use_cpu_bf16`).

    `cpu_bf16` is True, False or "auto" (bf16 autocast only where `native`, as `cpu_has_native_bf16` finds it).
    Returns whether to autocast to bf16, why (for the line the caller prints), and the warning to give when bf16 is
    forced on a CPU that emulates it (several times slower than fp32), else None. `task` names what would be slow.
    """
    if cpu_bf16 not in (True, False, "auto"):
        raise ValueError(f"cpu_bf16 must be True, False or 'auto', not {cpu_bf16!r}.")
    if cpu_bf16 == "auto":
        why = "this CPU has native bf16" if native else "this CPU has no native bf16 (AVX512-BF16/AMX)"
        return native, f"cpu_bf16='auto': {why}", None
    on = bool(cpu_bf16)
    warning = None
    if on and not native:
        warning = ("cpu_bf16=True on a CPU without native bf16 (no AVX512-BF16 or AMX): bf16 is emulated and "
                   f"{task} will be several times slower than fp32. Use cpu_bf16='auto' or False.")
    return on, f"cpu_bf16={on}", warning


def gpu_has_native_bf16() -> bool:
    """Whether the GPU has bf16 tensor cores (compute capability 8.0 or newer: A100, L4, H100, ...).

    `torch.cuda.is_bf16_supported()` also counts emulation and answers True on a T4 (7.5), where
    fp16 is the fast choice; hence `including_emulation=False`.
    """
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)


def gpu_name() -> str | None:
    """The name of the first CUDA GPU, None without one."""
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def machine_info() -> dict[str, Any]:
    """The machine a run or benchmark was measured on: platform, processor, cores, torch threads and version, GPU."""
    return {
        "platform": platform.platform(),
        # The model name alone ("AMD EPYC") does not tell the kinds apart: the flags that change the speed do.
        "processor": f"{cpu_name()} ({', '.join(sorted(SPEED_FLAGS & (cpu_flags() or set()))) or platform.machine()})",
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "gpu": gpu_name(),
    }
