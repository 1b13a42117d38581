"""`make install PREFIX=...` lays out the binary, migrations, the example
configuration and the systemd unit."""
import subprocess

from conftest import ROOT


def test_make_install(tmp_path):
    prefix = tmp_path / "usr"
    proc = subprocess.run(["make", "-s", "install", "PREFIX=%s" % prefix],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    binary = prefix / "bin" / "reviewd"
    assert binary.stat().st_mode & 0o111
    migrations = sorted(p.name for p in
                        (prefix / "share/reviewd/migrations").iterdir())
    assert migrations == sorted(p.name for p in
                                (ROOT / "migrations").glob("*.sql"))
    assert (prefix / "share/reviewd/config.example.ini").read_text() == \
        (ROOT / "config.example.ini").read_text()
    unit = (prefix / "lib/systemd/system/reviewd.service").read_text()
    assert "Type=notify" in unit
    out = subprocess.run([str(binary), "version"], capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout.startswith("reviewd ")
