"""`make install PREFIX=...` lays out the binary, migrations, the example
configuration and the systemd unit; `make uninstall` with the same PREFIX
and DESTDIR removes exactly those."""
import subprocess

from conftest import ROOT


def make(*args):
    proc = subprocess.run(["make", "-s"] + list(args), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


def files_under(top):
    return sorted(str(p.relative_to(top)) for p in top.rglob("*")
                  if not p.is_dir())


def test_make_install(tmp_path):
    prefix = tmp_path / "usr"
    make("install", "PREFIX=%s" % prefix)
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


def test_make_uninstall_removes_what_install_put(tmp_path):
    """DESTDIR staging as a package build does it: install, then uninstall
    with the same DESTDIR and PREFIX; a file of someone else's in the same
    directories stays."""
    destdir = tmp_path / "stage"
    prefix = "/opt/rd"
    top = destdir / "opt/rd"
    (top / "bin").mkdir(parents=True)
    (top / "bin" / "other-tool").write_text("not ours\n")
    make("install", "DESTDIR=%s" % destdir, "PREFIX=%s" % prefix)
    installed = files_under(top)
    assert "bin/reviewd" in installed
    assert "lib/systemd/system/reviewd.service" in installed
    assert "share/reviewd/config.example.ini" in installed
    assert len([f for f in installed
                if f.startswith("share/reviewd/migrations/")]) == \
        len(list((ROOT / "migrations").glob("*.sql")))
    make("uninstall", "DESTDIR=%s" % destdir, "PREFIX=%s" % prefix)
    assert files_under(top) == ["bin/other-tool"]
    assert not (top / "share/reviewd").exists()
    # uninstalling twice is not an error
    make("uninstall", "DESTDIR=%s" % destdir, "PREFIX=%s" % prefix)
    assert files_under(top) == ["bin/other-tool"]
