"""Start-up configuration: every error stops with exit 2 and FILE:LINE."""
import os

from conftest import run_cli, write_ini


def start_with(path):
    return run_cli(path, "migrate")


def test_unknown_key_names_file_and_line(tmp_path):
    cfg = tmp_path / "r.ini"
    cfg.write_text("[server]\nthreads = 2\nthreds = 4\n")
    proc = start_with(cfg)
    assert proc.returncode == 2
    assert "%s:3: unknown key 'threds' in section [server]" % cfg \
        in proc.stderr


def test_unknown_section_without_keys(tmp_path):
    cfg = tmp_path / "r.ini"
    cfg.write_text("; comment\n[server]\nthreads = 2\n\n[bogus]\n")
    proc = start_with(cfg)
    assert proc.returncode == 2
    assert "%s:5: unknown section [bogus]" % cfg in proc.stderr


def test_bad_values_name_the_key(tmp_path):
    cases = [
        ("[server]\nthreads = many\n", 2, "[server] threads"),
        ("[server]\nthreads = 0\n", 2, "[server] threads"),
        ("[server]\nlisten = localhost\n", 2, "[server] listen"),
        ("[server]\npublic_url = ftp://x\n", 2, "[server] public_url"),
        ("\n[mail]\ntransport = pigeon\n", 3, "[mail] transport"),
        ("[log]\nlevel = loud\n", 2, "[log] level"),
        ("[testing]\nclock_control = maybe\n", 2, "[testing] clock_control"),
        ("[server]\nmax_body_bytes = 10\n", 2, "[server] max_body_bytes"),
        ("[server]\nthreads = 2\nthreads = 3\n", 3, "set twice"),
        ("[server]\nthis line has no equals sign\n", 2, "syntax error"),
        ("[admin]\ntoken = short\n", 2, "[admin] token"),
    ]
    for i, (text, line, needle) in enumerate(cases):
        cfg = tmp_path / ("bad%d.ini" % i)
        cfg.write_text(text)
        proc = start_with(cfg)
        assert proc.returncode == 2, (text, proc.stderr)
        assert proc.stderr.startswith("%s:%d: " % (cfg, line)), \
            (text, proc.stderr)
        assert needle in proc.stderr, (text, proc.stderr)


def test_clock_control_refused_off_loopback(tmp_path):
    cfg = write_ini(tmp_path / "r.ini", {
        "server": {"listen": "0.0.0.0:0"},
        "database": {"path": str(tmp_path / "r.db")},
        "testing": {"clock_control": "true"},
    })
    proc = start_with(cfg)
    assert proc.returncode == 2
    assert "%s:8: [testing] clock_control is refused" % cfg in proc.stderr
    assert not (tmp_path / "r.db").exists()


def test_smtp_transport_needs_url(tmp_path):
    cfg = tmp_path / "r.ini"
    cfg.write_text("[mail]\ntransport = smtp\n")
    proc = start_with(cfg)
    assert proc.returncode == 2
    assert "%s:2: [mail] transport = smtp needs" % cfg in proc.stderr


def test_unreadable_config(tmp_path):
    missing = tmp_path / "absent.ini"
    proc = start_with(missing)
    assert proc.returncode == 2
    assert proc.stderr.startswith("%s:0: cannot open" % missing)

    proc = start_with(tmp_path)     # a directory
    assert proc.returncode == 2
    assert proc.stderr.startswith("%s:0: not a regular file" % tmp_path)

    if os.geteuid() != 0:           # root reads any file
        cfg = tmp_path / "secret.ini"
        cfg.write_text("[server]\n")
        cfg.chmod(0)
        proc = start_with(cfg)
        assert proc.returncode == 2
        assert proc.stderr.startswith("%s:0: cannot open" % cfg)


def test_example_config_is_valid_and_complete(tmp_path):
    """config.example.ini documents every key: it must load as it is."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    text = open(os.path.join(root, "config.example.ini")).read()
    text = text.replace("path = var/reviewd.db",
                        "path = %s" % (tmp_path / "r.db"))
    cfg = tmp_path / "example.ini"
    cfg.write_text(text)
    proc = start_with(cfg)
    assert proc.returncode == 0, proc.stderr
    assert "applied 0001_init.sql" in proc.stdout


def test_cli_usage_and_version(tmp_path):
    proc = run_cli(None, "--help")
    assert proc.returncode == 0
    assert "usage: reviewd" in proc.stdout
    proc = run_cli(None, "version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("reviewd ")
    proc = run_cli(None, "frobnicate")
    assert proc.returncode == 2
    assert "usage: reviewd" in proc.stderr
    cfg = write_ini(tmp_path / "r.ini",
                    {"database": {"path": str(tmp_path / "r.db")}})
    proc = run_cli(cfg, "business", "create", "--name", "x")
    assert proc.returncode == 2
    proc = run_cli(cfg, "business", "create", "--name", "X",
                   "--domain", "not a domain")
    assert proc.returncode == 2
    assert "--domain" in proc.stderr
    proc = run_cli(cfg, "app", "create", "--business",
                   "0123456789abcdef01234567")
    assert proc.returncode == 1
    assert "Business unit not found" in proc.stderr


def test_example_config_documents_every_key():
    """Every key of the table in src/config.c is in config.example.ini."""
    import configparser
    import re
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    table = re.findall(r'(?:STR|INT|WORD|OTHER)\("(\w+)", "(\w+)"',
                       open(os.path.join(root, "src", "config.c")).read())
    example = configparser.ConfigParser(comment_prefixes=(";", "#"),
                                        interpolation=None)
    example.read(os.path.join(root, "config.example.ini"))
    documented = {(s, k) for s in example.sections() for k in example[s]}
    assert len(table) > 30
    assert set(table) == documented
