"""The machine's probes: the processor's flags and name, native bf16 on the CPU and on the GPU (faked devices)."""
from __future__ import annotations

import pytest
import torch

from ner_helpers import hardware


@pytest.mark.parametrize("flags, onednn, expected", [
    ({"avx2", "avx512f"}, True, False),  # AVX-512 without AVX512-BF16: oneDNN emulates, not native
    ({"avx2", "avx512f", "avx512_bf16"}, True, True),
    ({"avx2", "avx512f", "amx_bf16"}, True, True),
    ({"avx2"}, False, False),
    ({"avx512_bf16"}, False, False),  # kernels limited (ONEDNN_MAX_CPU_ISA=AVX2): no bf16 kernels to use
    (None, True, True),  # no /proc/cpuinfo: oneDNN decides
])
def test_native_cpu_bf16_needs_the_flags_and_onednn(monkeypatch, flags, onednn, expected):
    monkeypatch.setattr(hardware, "cpu_flags", lambda *_: flags)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: onednn, raising=False)
    assert hardware.cpu_has_native_bf16() is expected


def test_cpu_flags_reads_x86_and_arm_cpuinfo(tmp_path):
    x86 = tmp_path / "x86"
    x86.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n")
    assert hardware.cpu_flags(str(x86)) == {"fpu", "avx2", "avx512f", "avx512_bf16"}
    assert "bf16" in hardware.cpu_flags(str(arm))
    assert hardware.cpu_flags(str(tmp_path / "absent")) is None


def test_gpu_bf16_is_asked_without_emulation(monkeypatch):
    asked = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda **kwargs: asked.append(kwargs) or True)
    assert hardware.gpu_has_native_bf16() is True
    assert asked == [{"including_emulation": False}]


def test_arm_bf16_counts_and_a_torch_without_the_check_means_no(monkeypatch):
    monkeypatch.setattr(hardware, "cpu_flags", lambda *_: {"fp", "asimd", "bf16"})
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True, raising=False)
    assert hardware.cpu_has_native_bf16() is True

    def missing():
        raise RuntimeError("no mkldnn in this build")

    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", missing, raising=False)
    assert hardware.cpu_has_native_bf16() is False


def test_cpu_flags_reads_this_machines_cpuinfo_and_survives_odd_bytes(tmp_path):
    import os

    if os.path.exists("/proc/cpuinfo"):  # the default file, on Linux
        assert hardware.cpu_flags() == hardware.cpu_flags("/proc/cpuinfo") and hardware.cpu_flags() is not None
    odd = tmp_path / "odd"
    odd.write_bytes(b"model name\t: CPU \xff\xfe\nflags\t\t: fpu avx2\n")
    assert hardware.cpu_flags(str(odd)) == {"fpu", "avx2"}


def test_cpu_name_reads_the_model_name_and_says_when_there_is_none(tmp_path):
    x86 = tmp_path / "x86"
    x86.write_text("processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz \nflags\t\t: fpu avx2\n")
    assert hardware.cpu_name(str(x86)) == "Some CPU @ 2.0GHz"
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n")
    assert hardware.cpu_name(str(arm)) == "unknown"
    assert hardware.cpu_name(str(tmp_path / "absent")) == "unknown (no /proc/cpuinfo)"
    odd = tmp_path / "odd"  # UTF-8 read as UTF-8; a byte that is no UTF-8 replaced, not an error
    odd.write_bytes(b"model name\t: Caf\xc3\xa9 CPU \xff\nflags\t\t: fpu\n")
    assert hardware.cpu_name(str(odd)) == "Caf\u00e9 CPU \ufffd"


def test_gpu_name_is_the_first_gpus_and_none_without_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert hardware.gpu_name() is None
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"fake GPU {index}")
    assert hardware.gpu_name() == "fake GPU 0"


def test_machine_info_records_this_machine(monkeypatch):
    """What a reader of metrics.json or a benchmark needs to compare runs, as JSON: the threads torch uses at the
    moment of the call (not at import), the cores, torch's release, no GPU on a machine without one."""
    import json

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        info = json.loads(json.dumps(hardware.machine_info()))
    finally:
        torch.set_num_threads(threads)
    assert info["torch_threads"] == 1 and info["gpu"] is None and info["torch"] == torch.__version__
    assert isinstance(info["cpu_count"], int) and info["cpu_count"] >= 1
    assert info["platform"] and info["processor"]


def test_machine_info_names_the_processor_with_the_flags_a_figure_depends_on(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"Stand-in GPU {index}")
    monkeypatch.setattr(hardware, "cpu_name", lambda: "AMD EPYC")
    monkeypatch.setattr(hardware, "cpu_flags", lambda: {"fpu", "avx2", "avx512f", "avx512_bf16", "sse2"})
    info = hardware.machine_info()
    assert info["gpu"] == "Stand-in GPU 0" and info["processor"] == "AMD EPYC (avx2, avx512_bf16, avx512f)"
    monkeypatch.setattr(hardware, "cpu_flags", lambda: {"avx2"})
    assert hardware.machine_info()["processor"] == "AMD EPYC (avx2)"  # an AVX2-only EPYC, told apart
