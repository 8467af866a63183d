"""`headshot-bot generate --provider runflow` from the shell, against fake Runflow and CDN servers."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from tests.fakes import small_jpeg
from tests.fakes.cdn import FakeCDN
from tests.fakes.runflow import FakeRunflow
from tests.images import astronaut_jpeg

ROOT = Path(__file__).resolve().parents[1]


async def test_generate_with_runflow_waits_for_the_callback_and_saves_the_pack(tmp_path: Path) -> None:
    (tmp_path / "me.jpg").write_bytes(astronaut_jpeg())
    runflow, cdn = FakeRunflow(api_key="rf-key"), FakeCDN()
    await runflow.start()
    await cdn.start()
    pack = {f"out_{n:03d}.jpg": small_jpeg(n) for n in range(60)}
    urls = [cdn.put(name, data) for name, data in pack.items()]
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_API_KEY", "_SECRET"))}
    env.update(
        PYTHONPATH=str(ROOT), DATA_DIR=str(tmp_path / "data"), RUNFLOW_API_KEY="rf-key",
        RUNFLOW_BASE_URL=runflow.url, ALLOW_PRIVATE_URLS="true",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.wiring.cli", "generate", "me.jpg", "--provider", "runflow", "--out", "pack",
        "--timeout", "60", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(300):
            if runflow.submissions:
                break
            await asyncio.sleep(0.1)
        assert runflow.submissions, "the CLI never submitted the job"
        submission = runflow.submissions[0]
        assert submission.callback_url.startswith("http://127.0.0.1:") and len(submission.images) == 1
        status, _ = await runflow.complete(submission, urls)
        assert status == 200
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
        await runflow.stop()
        await cdn.stop()
    assert process.returncode == 0, err.decode()
    paths = out.decode().split()
    assert len(paths) == 61 and "contact-sheet" in paths[0]
    saved = sorted(p for p in paths if "contact-sheet" not in p)
    assert [(tmp_path / p).read_bytes() for p in saved] == list(pack.values())


async def test_generate_with_runflow_times_out_with_a_clear_line(tmp_path: Path) -> None:
    (tmp_path / "me.jpg").write_bytes(astronaut_jpeg())
    runflow = FakeRunflow(api_key="rf-key")
    await runflow.start()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_API_KEY", "_SECRET"))}
    env.update(PYTHONPATH=str(ROOT), DATA_DIR=str(tmp_path / "data"), RUNFLOW_API_KEY="rf-key",
               RUNFLOW_BASE_URL=runflow.url, ALLOW_PRIVATE_URLS="true")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.wiring.cli", "generate", "me.jpg", "--provider", "runflow", "--timeout", "1",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        _out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await runflow.stop()
    assert process.returncode == 1
    first, last = err.decode().strip().splitlines()
    assert first.startswith("waiting for Runflow's callback on http://127.0.0.1:")
    assert last.startswith("error: Runflow did not deliver") and b"Traceback" not in err


async def test_with_a_public_url_generate_listens_on_port_and_says_where(tmp_path: Path) -> None:
    (tmp_path / "me.jpg").write_bytes(astronaut_jpeg())
    runflow, cdn = FakeRunflow(api_key="rf-key"), FakeCDN()
    await runflow.start()
    await cdn.start()
    urls = [cdn.put(f"out_{n:03d}.jpg", small_jpeg(n)) for n in range(3)]
    with socket.socket() as probe:  # a port that is free now: PUBLIC_BASE_URL (a tunnel) leads to it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_API_KEY", "_SECRET"))}
    env.update(
        PYTHONPATH=str(ROOT), DATA_DIR=str(tmp_path / "data"), RUNFLOW_API_KEY="rf-key",
        RUNFLOW_BASE_URL=runflow.url, ALLOW_PRIVATE_URLS="true", PORT=str(port),
        PUBLIC_BASE_URL=f"http://localhost:{port}",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.wiring.cli", "generate", "me.jpg", "--provider", "runflow", "--out", "pack",
        "--timeout", "60", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(300):
            if runflow.submissions:
                break
            await asyncio.sleep(0.1)
        assert runflow.submissions, "the CLI never submitted the job"
        submission = runflow.submissions[0]
        assert submission.callback_url.startswith(f"http://localhost:{port}/webhooks/runflow/")
        status, _ = await runflow.complete(submission, urls)
        assert status == 200
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
        await runflow.stop()
        await cdn.stop()
    assert process.returncode == 0, err.decode()
    assert len(out.decode().split()) == 3
    assert f"waiting for Runflow's callback on http://127.0.0.1:{port} (reached at http://localhost:{port})" in (
        err.decode()
    )
