"""The deployment files hold together (no Docker engine runs here, so they are checked, not
run): every service's command exists in the project, and every variable is documented."""

import importlib.util
import re
import shlex
from pathlib import Path

import yaml
from django.core.management import get_commands

from config import server

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
# The variables' tables: docs/configuration.md, and the compose file's own in docs/deploy.md.
DOCUMENTED = "".join(
    (ROOT / "docs" / name).read_text() for name in ("configuration.md", "deploy.md")
)
SETTINGS_SOURCE = "".join(p.read_text() for p in (ROOT / "config").rglob("*.py"))


def portal_services() -> dict:
    return {
        name: service
        for name, service in COMPOSE["services"].items()
        if service.get("image") == "account-portal"
    }


def test_the_compose_file_has_every_part_of_the_production_shape():
    assert set(COMPOSE["services"]) >= {
        "postgres",
        "redis",
        "mailcatcher",
        "migrate",
        "web",
        "worker",
        "beat",
    }
    web = COMPOSE["services"]["web"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    for name in ("postgres", "redis"):
        assert COMPOSE["services"][name]["healthcheck"]


def test_the_web_server_is_reached_only_through_the_buffering_proxy():
    proxy = COMPOSE["services"]["proxy"]
    assert proxy["image"].startswith("nginx:")  # the official image
    template = proxy["volumes"][0].split(":")[0]
    assert (ROOT / template).is_file()
    assert proxy["environment"]["PORTAL_UPSTREAM"] == "web:8000"
    assert proxy["ports"] == ["127.0.0.1:8000:8000"]
    assert "ports" not in COMPOSE["services"]["web"]
    # granian keeps no list of trusted proxies: the proxy is the only sender of X-Forwarded-*
    # it meets, the client's own are appended to, and names with underscores are dropped.
    nginx = (ROOT / template).read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    assert "underscores_in_headers off;" in nginx and "ignore_invalid_headers on;" in nginx
    web_unit = (ROOT / "deploy" / "systemd" / "portal-web.service").read_text()
    assert "Environment=BIND=127.0.0.1:" in web_unit


def test_the_web_server_has_time_to_stop_gracefully(monkeypatch):
    """compose and systemd wait longer than the server gives requests in flight, and a worker
    that dies is started again."""
    monkeypatch.delenv("WEB_STOP_TIMEOUT", raising=False)
    argv = server.command()
    [stop] = [int(a.split("=")[1]) for a in argv if a.startswith("--workers-kill-timeout=")]
    assert int(COMPOSE["services"]["web"]["stop_grace_period"].rstrip("s")) > stop
    web_unit = (ROOT / "deploy" / "systemd" / "portal-web.service").read_text()
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", web_unit, re.M).group(1)) > stop
    assert "--respawn-failed-workers" in argv


def test_the_systemd_units_start_the_project_s_programs():
    for unit in (ROOT / "deploy" / "systemd").glob("*.service"):
        start = re.search(
            r"^ExecStart=/srv/account-portal/\.venv/bin/(.+)$", unit.read_text(), re.M
        )
        argv = shlex.split(start.group(1))
        assert argv in (
            ["python", "-m", "config.server"],
            ["celery", "-A", "config", "worker", "--loglevel=INFO"],
        ), (unit.name, argv)


def test_every_service_command_exists_in_the_project():
    commands = get_commands()
    for name, service in portal_services().items():
        argv = service["command"]
        program = argv[0]
        if argv[:3] == ["python", "-m", "config.server"]:
            assert len(argv) == 3 and importlib.util.find_spec("config.server")
            assert importlib.util.find_spec("config.wsgi")
        elif program == "python":
            assert argv[1] == "manage.py" and argv[2] in commands, (name, argv)
        elif program == "celery":
            assert argv[1:3] == ["-A", "config"] and argv[3] in ("worker", "beat"), argv
            from config.celery import app

            assert app.main  # the Celery app of config/celery.py
        else:
            raise AssertionError(f"{name}: unknown program {program}")
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.M).group(1)
    assert yaml.safe_load(cmd) == COMPOSE["services"]["web"]["command"]


def test_every_variable_is_documented():
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    example = set(re.findall(r"^([A-Z_]+)=", ENV_EXAMPLE, re.M))
    assert used <= example, used - example
    for name in example:
        in_code = f'"{name}"' in SETTINGS_SOURCE
        assert in_code or name in used, f"{name} is read by nothing"
        assert f"`{name}`" in DOCUMENTED, f"{name} is not in docs/configuration.md or deploy.md"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_the_image_installs_the_locked_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    # The pinned pip and setuptools first, then the lock (tools/venv.py does the same).
    pinned = dockerfile.index("--require-hashes --no-deps -r requirements-pip.lock")
    assert pinned < dockerfile.index("--no-build-isolation --require-hashes -r requirements.lock")
    assert "collectstatic" in dockerfile and "USER portal" in dockerfile
