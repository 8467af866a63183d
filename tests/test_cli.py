"""The command line as a user meets it: real processes, real files, one clear line on failure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.images import astronaut_jpeg, heic_bytes, png_bomb_header

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_API_KEY", "_SECRET"))}
    clean.update({"DATA_DIR": str(cwd / "data"), "PYTHONPATH": str(ROOT)})
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.wiring.cli", *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )


def test_generate_makes_headshots_from_a_heic_photo(tmp_path: Path) -> None:
    (tmp_path / "phone.heic").write_bytes(heic_bytes())
    result = run_cli("generate", "phone.heic", "--aspect-ratio", "3:4", "--count", "2", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    paths = result.stdout.split()
    assert len(paths) == 2 and all((tmp_path / p).is_file() for p in paths)
    assert Image.open(tmp_path / paths[0]).size == (768, 1024)
    assert result.stderr == ""  # quiet when not a terminal


def test_generate_sample_needs_no_photo(tmp_path: Path) -> None:
    result = run_cli("generate", "--sample", "--quality", "high", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / result.stdout.split()[0]).size == (2048, 2048)


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[str, str]]:
    (tmp_path / "photo.jpg").write_text("this is not a photo\n")
    (tmp_path / "bomb.png").write_bytes(png_bomb_header())
    Image.new("RGB", (40, 40), "white").save(tmp_path / "tiny.png")
    noise = (np.random.default_rng(3).random((600, 800, 3)) * 255).astype("uint8")
    Image.fromarray(noise).save(tmp_path / "noface.jpg")
    (tmp_path / "me.jpg").write_bytes(astronaut_jpeg())
    return {
        "photo.jpg": ("photo.jpg", "not an image"),
        "bomb.png": ("bomb.png", "megapixels"),
        "tiny.png": ("tiny.png", "40 × 40 pixels"),
        "noface.jpg": ("noface.jpg", "couldn't find a face"),
        "missing.jpg": ("missing.jpg", "does not exist"),
        "me.jpg me.jpg me.jpg me.jpg --provider agentai": ("me.jpg", "not available"),
    }


BAD_CASES = [
    "photo.jpg", "bomb.png", "tiny.png", "noface.jpg", "missing.jpg", "me.jpg me.jpg me.jpg me.jpg --provider agentai"
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_non_zero_with_one_clear_line(tmp_path: Path, case: str) -> None:
    expected = _bad_inputs(tmp_path)[case][1]
    result = run_cli("generate", *case.split(), cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_check_reports_each_component(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path, env={"AGENTAI_API_KEY": "sk-secret-value-123"})
    assert result.returncode == 0, result.stdout + result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [
        "data", "store", "web", "slack", "discord", "agentai", "runflow", "studio", "metrics", "quotas", "keeping",
        "privacy",
    ]
    assert "consent text version" in result.stdout and "set PRIVACY_POLICY_URL" in result.stdout
    assert "sk-secret-value-123" not in result.stdout + result.stderr
    assert "configured" in result.stdout.splitlines()[5]


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path, env={"PORT": "eighty"})
    assert result.returncode == 2 and result.stderr.startswith("error: PORT") and "Traceback" not in result.stderr


def test_the_progress_bar_counts_a_pack_coming_in() -> None:
    from bot.jobs import Job, JobState
    from bot.options import Options
    from bot.wiring.generate import progress_line

    job = Job(id="a" * 32, owner="o", surface="cli", thread={}, provider="runflow", options=Options(),
              photo_count=1, state=JobState.FETCHING, results_total=60, results_done=30)
    line = progress_line(job, 75)
    assert line.startswith("[") and "fetching 30/60" in line and line.endswith("1m 15s")
    assert line.count("#") > progress_line(Job(**{**job.__dict__, "results_done": 0}), 1).count("#")


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("", "DISCORD_TOKEN is not set"),
        ("héllo.wörld.x", "does not look like a bot token"),
        ("!!!.abc.def", "does not look like a bot token"),
        ("abc.def.ghi", "does not look like a bot token"),
        ("MTE4NzMxMjE5ODY0MjQ4NzI5Ng", None),  # a real-looking first part, nothing after it
    ],
)
def test_discord_invite_with_a_missing_or_malformed_token_is_one_line(tmp_path: Path, token: str, says: str) -> None:
    result = run_cli("discord-invite", cwd=tmp_path, env={"DISCORD_TOKEN": token})
    if says is None:
        links = [line for line in result.stdout.splitlines() if line.startswith("https://discord.com/oauth2/authorize?")]
        assert result.returncode == 0 and len(links) == 2
        assert links[0].endswith("&integration_type=0") and links[1].endswith("&integration_type=1")
        return
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_serve_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", cwd=tmp_path, env={"PORT": str(port)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: port {port} is already in use (another headshot-bot serve, or another program); "
        "stop it or set PORT to a free port."
    )


def test_a_second_serve_on_one_sqlite_data_dir_is_refused_in_one_line(tmp_path: Path) -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_API_KEY", "_SECRET"))}
    clean.update({"DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), "PORT": str(ports[0])})
    first = subprocess.Popen(
        [sys.executable, "-m", "bot.wiring.cli", "serve"], cwd=tmp_path, env=clean,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        second = run_cli("serve", cwd=tmp_path, env={"PORT": str(ports[1])})
        assert first.poll() is None, "the first serve must keep running"
    finally:
        first.terminate()
        first.wait(timeout=20)
    assert second.returncode == 2 and "Traceback" not in second.stderr
    [line] = second.stderr.strip().splitlines()
    assert line.startswith(f"error: another headshot-bot serve (process {first.pid}) is already using ")
    assert line.endswith("give this one its own DATA_DIR.")
