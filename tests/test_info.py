import subprocess
import sys

import fastmlp as fm


def test_info_reports_the_build():
    info = fm.info()
    assert info["version"] == fm.__version__
    assert info["isa"] in info["supported_isas"]
    assert info["supported_isas"][0] == "generic"
    assert info["num_threads"] == fm.get_num_threads() >= 1
    assert isinstance(info["openmp"], bool)
    assert isinstance(info["l2_cache_bytes"], int) and info["l2_cache_bytes"] >= 0  # 0: unknown


def test_info_lists_each_isas_kernel_flags():
    flags = fm.info()["compiler_flags"]
    for isa in fm.info()["supported_isas"]:
        assert f"{isa}: [" in flags
    if fm.info()["compiler"].startswith(("GNU", "Clang", "AppleClang")):
        # set for the kernel files alone (of every ISA built, which this CPU may not all run),
        # so the build's flags do not show them
        assert flags.count("-fno-trapping-math") == flags.count(": [") >= 1


def test_fastmlp_info_command_prints_json():
    out = subprocess.run(
        [sys.executable, "-m", "fastmlp", "info"], check=True, capture_output=True, text=True
    ).stdout
    assert '"isa"' in out
