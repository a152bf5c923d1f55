"""`mlflow ui` as the review room, checked in a real browser: a real `ragvsft run` (tiny models), MLflow's own UI
server on a loopback port, and headless Chromium driven by selenium. Screenshots of every page checked land in
``test-artifacts/review-room/`` (or ``$RAGVSFT_SCREENSHOTS``) for a person to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from conftest import SMALL_QA, TinyRun, free_port, wait_until_healthy

CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no Chromium/ChromeDriver here: `apt-get install chromium chromium-driver` (scripts/test.sh installs "
           "them when it runs as root)")
SHOTS = Path(os.environ.get("RAGVSFT_SCREENSHOTS", Path(__file__).parents[1] / "test-artifacts" / "review-room"))
ARMS = ("base", "rag", "finetuned", "hybrid")
ML = "workflowType=machine_learning"  # what every link ragvsft prints carries: MLflow's runs pages, not its GenAI ones



@pytest.fixture(scope="module")
def store(tiny_run: TinyRun) -> dict:
    """The session's tiny run: its store's URI, the parent run, what it printed, a client."""
    client = mlflow.MlflowClient(tiny_run.uri)
    experiment = client.get_experiment_by_name("ragvsft/corpus")
    (parent,) = client.search_runs([experiment.experiment_id], filter_string="tags.`ragvsft.pipeline` = 'run'")
    return {"uri": tiny_run.uri, "parent": parent, "output": tiny_run.output, "client": client}


@pytest.fixture(scope="module")
def ui(store: dict) -> Iterator[str]:
    """``mlflow ui`` over the store, on a free loopback port; yields its address."""
    port = free_port()
    log = open(Path(store["uri"].removeprefix("sqlite:///")).with_name("ui.log"), "w")
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", store["uri"],
                               "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    address = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(address, server, Path(log.name))
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # No sandbox as root; no background connections on a machine that reaches only package registries.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1600,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(driver, predicate, what: str, timeout: float = 45.0):  # noqa: ANN001, ANN202 (selenium types)
    """Poll until ``predicate(driver)`` is truthy; fail with what was awaited and the page's text."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if found := predicate(driver):
                return found
        except Exception:  # noqa: BLE001 (elements come and go while React renders)
            pass
        if time.monotonic() > deadline:
            driver.save_screenshot(str(SHOTS / "failed.png"))
            text = driver.find_element("tag name", "body").text[:3000]
            pytest.fail(f"timed out waiting for {what} at {driver.current_url}; the page shows:\n{text}")
        time.sleep(0.3)


def _open(driver, url: str) -> None:  # noqa: ANN001
    """A full page load, as a reviewer opening a link gets (MLflow's app keeps a run's artifact list across a
    hash-only change of address, so one run's page would show the previous run's)."""
    driver.get("about:blank")
    driver.get(url)


def _text(driver) -> str:  # noqa: ANN001
    return driver.find_element("tag name", "body").text


def test_the_printed_link_opens_the_arms_side_by_side(store: dict, ui: str, browser) -> None:  # noqa: ANN001
    parent, client = store["parent"], store["client"]
    arm_f1 = {r.data.tags["ragvsft.arm"]: r.data.metrics["token_f1"] for r in client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}' and "
                                                   "tags.`ragvsft.pipeline` = 'evaluate'")}
    assert set(arm_f1) == set(ARMS)
    # The list of experiments says what each holds and names the newest comparison.
    _open(browser, f"{ui}/#/experiments")
    _wait_for(browser, lambda d: "Newest comparison (arms side by side)" in _text(d), "the experiment's description")
    browser.save_screenshot(str(SHOTS / "1-experiments.png"))

    # Above the experiment's runs table, the description's first line links the comparison (MLflow opens it in a
    # new tab): one click from the runs page.
    _open(browser, f"{ui}/#/experiments/{parent.info.experiment_id}/runs?{ML}")
    link = _wait_for(browser, lambda d: next(a for a in d.find_elements("tag name", "a")
                                             if "viewStateShareKey" in (a.get_attribute("href") or "")),
                     "the comparison link above the runs table")
    link.click()
    _wait_for(browser, lambda d: len(d.window_handles) == 2, "the comparison's tab")
    browser.switch_to.window(browser.window_handles[-1])
    _wait_for(browser, lambda d: all(f"arm-{a}" in _text(d) for a in ARMS), "the four arm runs, from the link")
    browser.close()
    browser.switch_to.window(browser.window_handles[0])

    # `ragvsft run` ends with the comparison's address (for `mlflow ui` on its default port): open it.
    printed = store["output"].split("the arms side by side: ")[1].split()[0]
    assert printed.startswith("http://127.0.0.1:5000/#/experiments/")
    _open(browser, printed.replace("http://127.0.0.1:5000", ui))
    _wait_for(browser, lambda d: all(f"arm-{a}" in _text(d) for a in ARMS), "the four arm runs")
    # The headline metrics are the first columns (tiny models leave faithfulness unscored, so it is not here).
    _wait_for(browser, lambda d: "token_f1" in _text(d) and "answer_relevance" in _text(d), "the headline columns")
    browser.save_screenshot(str(SHOTS / "2-arms-side-by-side.png"))
    page = _text(browser)
    assert "index-exp" not in page and "finetune-exp" not in page  # the arms only
    for value in arm_f1.values():  # each arm's token F1 is in its row
        assert f"{value:g}" in page
    assert "workflowType=machine_learning" in browser.current_url  # MLflow's runs table, not its GenAI pages


def test_the_parent_run_states_the_verdict_and_carries_the_headline_numbers(store: dict, ui: str, browser) -> None:  # noqa: ANN001
    parent = store["parent"]
    _open(browser, f"{ui}/#/experiments/{parent.info.experiment_id}/runs/{parent.info.run_id}?{ML}")
    _wait_for(browser, lambda d: "Verdict:" in _text(d), "the verdict in the run's description")
    _wait_for(browser, lambda d: "rag/token_f1" in _text(d), "the per-arm headline metrics")
    browser.save_screenshot(str(SHOTS / "3-parent-run.png"))
    assert "paired/" not in _text(browser)


def test_the_per_question_table_and_the_plots_open(store: dict, ui: str, browser) -> None:  # noqa: ANN001
    parent, client = store["parent"], store["client"]
    (rag,) = client.search_runs([parent.info.experiment_id], filter_string=(
        f"tags.`mlflow.parentRunId` = '{parent.info.run_id}' and tags.`ragvsft.arm` = 'rag'"))
    _open(browser, f"{ui}/#/experiments/{parent.info.experiment_id}/runs/{rag.info.run_id}/artifacts/eval/answers.json?{ML}")
    question = next(q["question"] for q in SMALL_QA if q["split"] == "eval")
    _wait_for(browser, lambda d: question[:30] in _text(d), "an eval question in the answers table")
    browser.save_screenshot(str(SHOTS / "4-answers-table.png"))

    for plot in ("metrics_by_arm.png", "latency_by_arm.png"):
        _open(browser, f"{ui}/#/experiments/{parent.info.experiment_id}/runs/{parent.info.run_id}/artifacts/report/{plot}?{ML}")
        image = _wait_for(browser, lambda d: next(i for i in d.find_elements("tag name", "img")
                                                  if d.execute_script("return arguments[0].naturalWidth", i) > 300),
                          f"the {plot} image, loaded")
        assert image.is_displayed()
        browser.save_screenshot(str(SHOTS / f"5-{plot}"))
