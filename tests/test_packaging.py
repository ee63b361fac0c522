"""Packaging: environment.yml mirrors pyproject.toml; the console script works."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

CONDA_TO_PYPI = {"pytorch": "torch"}  # conda-forge names that differ from PyPI's
CONDA_ONLY = {"python", "pip"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements(root: Path) -> dict[str, str]:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for group in project["optional-dependencies"].values():
        requirements += group
    found: dict[str, str] = {}
    for text in requirements:
        requirement = Requirement(text)
        found[normalize(requirement.name)] = str(requirement.specifier)
    return found


def conda_requirements(root: Path) -> dict[str, str]:
    environment = yaml.safe_load((root / "environment.yml").read_text())
    found: dict[str, str] = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):  # the pip: section: the project itself, then what
            # conda-forge does not carry (given as pip requirements)
            assert list(entry) == ["pip"] and entry["pip"][0] == "-e .", f"unexpected {entry}"
            for text in entry["pip"][1:]:
                requirement = Requirement(text)
                found[normalize(requirement.name)] = str(requirement.specifier)
            continue
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", entry).groups()
        if name not in CONDA_ONLY:
            found[normalize(CONDA_TO_PYPI.get(name, name))] = spec.replace(" ", "")
    return found


def test_environment_yml_names_the_same_packages_as_pyproject(root):
    pypi, conda = pyproject_requirements(root), conda_requirements(root)
    assert sorted(set(pypi) - set(conda)) == [], "in pyproject.toml, missing from environment.yml"
    assert sorted(set(conda) - set(pypi)) == [], "in environment.yml, missing from pyproject.toml"
    assert {n: s for n, s in conda.items() if s != pypi[n]} == {}, "version bounds differ"


def test_the_comparison_notices_a_missing_package(root, tmp_path):
    (tmp_path / "pyproject.toml").write_text((root / "pyproject.toml").read_text())
    text = (root / "environment.yml").read_text()
    (tmp_path / "environment.yml").write_text(text.replace("  - einops>=0.7\n", ""))
    assert "einops" in set(pyproject_requirements(tmp_path)) - set(conda_requirements(tmp_path))


def test_torch_is_not_pinned_for_users_but_constrained_for_cpu_setup(root):
    assert pyproject_requirements(root)["torch"] == ">=2.1"
    constraints = (root / "constraints-cpu.txt").read_text().split("\n")
    assert "torch==2.13.0" in constraints


def console_script() -> str:
    script = Path(sys.executable).with_name("vstar-lite")
    return str(script) if script.exists() else shutil.which("vstar-lite")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([console_script(), *args], capture_output=True, text=True, timeout=120)


def test_help_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("info", "generate", "train", "bench", "batch"):
        assert command in result.stdout


def test_batch_rejects_a_file_that_is_not_a_batch_and_names_it(tmp_path):
    result = run_cli("batch", str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "vstar-lite batch: FILE '" in result.stderr and "is not a readable JSON" in result.stderr
    (tmp_path / "items.json").write_text('[{"name": "a", "prompt": "a red circle"}]')
    bad = run_cli("batch", str(tmp_path / "items.json"), "--steps", "0")
    assert bad.returncode == 2 and "--steps must be in [1, 1000], got 0" in bad.stderr


def test_bench_prints_a_row_per_frame_count_with_all_three_methods():
    result = run_cli("bench", "--frames", "4", "8", "--batch", "16", "--dim", "8", "--repeats", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = "frames | sdpa ms tar ms ref ms | sdpa MiB tar MiB ref MiB | tar/sdpa ref/tar"
    assert lines[1].split() == header.split()
    rows = [line.split() for line in lines[3:]]
    assert [row[0] for row in rows] == ["4", "8"] and all(len(row) == 12 for row in rows)
    bad = run_cli("bench", "--batch", "0")
    assert bad.returncode != 0 and "--batch must be >= 1, got 0" in bad.stderr


def test_info_and_version():
    from vstar_lite import __version__

    info = run_cli("info")
    assert info.returncode == 0 and f"vstar-lite {__version__}" in info.stdout
    assert "torch" in info.stdout
    version = subprocess.run(
        [sys.executable, "-m", "vstar_lite", "--version"], capture_output=True, text=True
    )
    assert version.stdout.strip() == f"vstar-lite {__version__}"


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A randomly initialised tiny pipeline folder, written as the training command writes it."""
    import torch
    from vstar_lite.tiny.parts import (
        build_autoencoder,
        build_scheduler,
        build_text_encoder,
        build_tokenizer,
        build_unet,
    )
    from vstar_lite.tiny.training import save_pipeline

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    return save_pipeline(
        tmp_path_factory.mktemp("tiny") / "pipeline", vae=build_autoencoder(),
        text_encoder=build_text_encoder(len(tokenizer)), tokenizer=tokenizer, unet=build_unet(),
        scheduler=build_scheduler("sample"), dtype=torch.float32,
    )  # fmt: skip


def test_generate_and_batch_default_to_the_shipped_tiny_pipeline(tmp_path):
    from PIL import Image
    from vstar_lite.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["generate", "a red circle"]).model == "tiny"
    assert parser.parse_args(["batch", "items.json"]).model == "tiny"
    out = tmp_path / "v.gif"
    result = run_cli("generate", "a red circle moves right on a dark background", "--frames", "3",
                     "--steps", "1", "--out", str(out), "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:  # the tiny model's 32 x 32 frames, enlarged 4 times
        assert (image.n_frames, image.size) == (3, (128, 128))


def test_generate_on_scvideo_without_its_folder_is_one_line_that_says_how_to_train_it(
    tmp_path, monkeypatch, capsys
):
    import vstar_lite.paths
    from vstar_lite.cli import build_parser, main

    monkeypatch.setattr(vstar_lite.paths, "_CANDIDATES", (tmp_path,))  # nothing shipped
    code = main(
        ["generate", "a red circle", "--model", "scvideo", "--out", str(tmp_path / "v.gif")]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("vstar-lite generate: --model 'scvideo' could not be loaded: tiny model")
    assert "folder data/tiny_model/scvideo is missing" in err
    suggested = err.split("`")[1].split()  # the training command it suggests
    assert suggested[:2] == ["vstar-lite", "train"]
    train = build_parser().parse_args(suggested[1:])
    assert (train.preset, train.layout) == ("quick", "scvideo")


def test_generate_writes_a_gif_offline(tiny_model_dir, tmp_path):
    out = tmp_path / "v.gif"
    prompt = "a red circle moves right on a dark background"
    result = run_cli(
        "generate",
        prompt,
        "--model",
        str(tiny_model_dir),
        "--frames",
        "6",
        "--steps",
        "2",
        "--tar",
        "0=1",
        "--out",
        str(out),
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:6] == b"GIF89a" and "6 frames in" in result.stdout
    synopsis = run_cli(
        "generate",
        "--synopsis",
        "tiny_red_to_blue",
        "--model",
        str(tiny_model_dir),
        "--frames",
        "5",
        "--steps",
        "1",
        "--out",
        str(out),
        "--no-progress",
    )
    assert synopsis.returncode == 0, synopsis.stderr


# Bad command lines -> the one line each gets on stderr (exit status 2), before sampling.
GENERATE_ERRORS = [
    (["a pink circle"], "unknown word 'pink'"),
    (["--synopsis", "nope"], "synopsis 'nope' is not shipped; for the tiny model: ['tiny_"),
    (["a red circle", "--tar", "zero"], None),  # argparse: usage and status 2
    (["a red circle", "--tar", "3=1"], "unknown UNet levels [3]"),
    (["a red circle", "--tar", "0=-1"], "sigma must be a finite number > 0, got -1.0"),
    (["a red circle", "--frames", "0"], "--frames must be >= 1, got 0"),
    (["a red circle", "--guidance", "0.5"], "--guidance must be a finite number >= 1"),
    (["a red circle", "--guidance", "nan"], "--guidance must be a finite number >= 1 (1 = no "),
    (["a red circle", "--guidance", "inf"], "--guidance must be a finite number >= 1"),
    (["a red circle", "--eta", "nan"], "--eta must be a finite number in [0, 1], got nan"),
    (["a red circle", "--eta", "2"], "--eta must be a finite number in [0, 1], got 2.0"),
    (["a red circle", "--seed", str(2**70)], "--seed must be in [0, 2**64 - 1 = "),
    (["a red circle", "--tar-until", "30"], "--tar-until must be in [0, 24] (a step of a 25-s"),
    (["a red circle", "--decode-chunk", "0"], "--decode-chunk must be >= 1, got 0"),
    (["a red circle", "--out", "v.avi"], "--out must end in .gif or .mp4, got 'v.avi'"),
    (["a red circle", "--out", "missing/v.gif"], "folder 'missing' does not exist; create it"),
    (["a red circle", "--out", "."], "--out '.' is a folder; give a file name such as"),
    (["a red circle", "--frames", "100000"], "1 video(s) of 100000 frames at 32 x 32 needs about"),
    (["a red circle", "--height", "4096", "--width", "4096"], "4096 x 4096"),
    (["a red circle", "--scale", "1000"], "enlarged 1000 times needs about"),
    (["a red circle", "--device", "cuda:0"], "finds no CUDA device; use --device cpu"),
    (["a red circle", "--device", "gpu"], "--device must be cpu, cuda or cuda:N, got 'gpu'"),
    ([], "give a PROMPT or --synopsis NAME"),
    (["a red circle", "--method", "none", "--tar", "0=1"], "--method none samples the plain model"),
    (["a red circle", "--method", "magic"], None),  # argparse: usage and status 2
    (
        ["a red circle moves right on a dark background", "--method", "freenoise"],
        "is diffusers' AnimateDiff code: it needs a UNetMotionModel",
    ),
]


@pytest.mark.parametrize("method, extra", [
    ("freenoise", ["a red circle moves right on a dark background", "--tar", "0=1"]),
    ("freeinit", ["--synopsis", "tiny_red_to_blue"]),
])  # fmt: skip
def test_generate_runs_diffusers_methods_on_the_animatediff_style_model(
    tmp_path, capsys, method, extra
):
    from PIL import Image
    from vstar_lite.cli import main

    out = tmp_path / f"{method}.gif"
    code = main(["generate", *extra, "--method", method, "--model", "tiny-animatediff",
                 "--frames", "20", "--steps", "2", "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    with Image.open(out) as gif:
        assert gif.n_frames == 20


@pytest.mark.parametrize(("args", "message"), GENERATE_ERRORS, ids=lambda v: " ".join(v)[:40]
                         if isinstance(v, list) else None)  # fmt: skip
def test_generate_errors_are_one_line_that_names_the_problem(
    tiny_model_dir, tmp_path, monkeypatch, capsys, args, message
):
    import torch
    from vstar_lite.cli import main

    if "--device" in args and args[-1].startswith("cuda") and torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the no-CUDA message cannot be shown")
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["generate", *args, "--model", str(tiny_model_dir), "--steps", "1",
                     "--no-progress"])  # fmt: skip
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert not list(tmp_path.glob("*.gif")), "nothing may be written"
    if message is not None:
        assert message in err
        assert err.count("\n") == 1 and "Traceback" not in err, err


def test_batch_out_dir_that_cannot_be_created_is_one_line_before_loading(tmp_path, capsys):
    from vstar_lite.cli import main

    items = tmp_path / "items.json"
    items.write_text('[{"name": "a", "prompt": "a red circle moves right on a dark background"}]')
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["batch", str(items), "--out-dir", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"vstar-lite batch: --out-dir '{blocker / 'sub'}' cannot be created:")


def test_a_broken_model_folder_is_one_line(tmp_path, capsys):
    from vstar_lite.cli import main

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model_index.json").write_text("{ not json")
    code = main(["generate", "a red circle", "--model", str(broken), "--out",
                 str(tmp_path / "v.gif")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"vstar-lite generate: --model '{broken}' could not be loaded:")


def test_offline_hub_errors_say_what_they_mean(tmp_path, monkeypatch, capsys):
    """The Hub's offline error ends "see the stacktrace above", where none is printed."""
    from vstar_lite.cli import main
    from vstar_lite.pipeline import VSTARPipeline

    def offline(*args, **kwargs):
        raise OSError(
            "We couldn't connect to 'https://huggingface.co' to load the files, and couldn't "
            "find them in the cached files.\nCheck your internet connection or see the "
            "stacktrace above."
        )

    monkeypatch.setattr(VSTARPipeline, "from_pretrained", offline)
    code = main(["generate", "a red circle", "--model", "modelscope", "--out",
                 str(tmp_path / "v.gif")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "stacktrace" not in err
    assert err.startswith("vstar-lite generate: --model 'modelscope' could not be loaded: We co")
    assert err.rstrip().endswith(
        "could not be reached (offline?); download it once with a connection, or give a local "
        "folder"
    )


def test_help_version_and_argument_errors_do_not_import_torch():
    """``vstar-lite --help`` builds every sub-command's parser; it must not pay for torch."""
    code = (
        "import sys\n"
        "from vstar_lite.cli import main\n"
        "for argv in (['--help'], ['--version'], ['generate', '--help'], ['train', '--help'],\n"
        "             ['batch', '--help'], ['bench', '--help'], ['generate', '--frames', 'x']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("heavy: []"), result.stdout[-300:]


def test_train_command_trains_and_resumes(tmp_path):
    from vstar_lite.tiny.parts import build_autoencoder

    autoencoder = tmp_path / "vae"
    build_autoencoder().save_pretrained(autoencoder)
    out = tmp_path / "run"
    common = ("--out", str(out), "--autoencoder", str(autoencoder), "--batch", "1", "--no-progress",
              "--latent-pool", "2")  # fmt: skip
    first = run_cli("train", "--steps", "2", *common)
    assert first.returncode == 0, first.stderr
    assert (out / "pipeline" / "model_index.json").exists() and (out / "checkpoint.pt").exists()
    assert (out / "latent_pool.pt").exists()  # encoded once, reused on resume
    more = run_cli("train", "--steps", "3", *common)
    assert more.returncode == 0, more.stderr
    assert (out / "curves.csv").read_text().splitlines()[-1].startswith("3,")
    bad = run_cli("train", "--steps", "0", *common)
    assert bad.returncode == 2 and "steps must be an int >= 1, got 0" in bad.stderr
    assert "Traceback" not in bad.stderr
    pool = run_cli("train", "--steps", "3", *common[:-2], "--latent-pool", "-1")
    assert pool.returncode == 2
    assert "latent_pool must be an int in [0, 65536], got -1" in pool.stderr


def test_train_command_selects_the_layout(tmp_path):
    from vstar_lite.pipeline import VSTARPipeline, is_tiny_model
    from vstar_lite.tiny.parts import build_autoencoder, read_layout

    autoencoder = tmp_path / "vae"
    build_autoencoder().save_pretrained(autoencoder)
    out = tmp_path / "scvideo"
    result = run_cli("train", "--layout", "scvideo", "--steps", "1", "--batch", "1",
                     "--latent-pool", "2", "--autoencoder", str(autoencoder), "--out", str(out),
                     "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "training the tiny 'scvideo' model" in result.stdout
    folder = out / "pipeline"
    assert read_layout(folder) == "scvideo" and is_tiny_model(folder)
    pipe = VSTARPipeline.from_tiny(folder)
    assert {type(p).__name__ for p in pipe.unet.attn_processors.values()} >= {
        "SparseCausalProcessor"
    }
    old = run_cli("train", "--model", "vstar", "--out", str(tmp_path / "old"))
    assert old.returncode == 2 and "unrecognized arguments: --model vstar" in old.stderr


def test_sampling_benchmark_prints_a_row_per_frame_count():
    result = run_cli("bench", "--sampling", "--frames", "2", "3", "--repeats", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # it says what it is about to do before any timed run
    assert lines[0].startswith("timing 8 videos (2 settings x 2 frame counts x 1 repeats + 1 warm")
    assert re.search(r"about \d+ s at most$", lines[0])
    rows = [line.split() for line in lines[4:]]
    assert [row[0] for row in rows] == ["2", "3"] and all(len(row) == 7 for row in rows)


def test_an_installed_wheel_carries_the_tiny_model_and_synopses(root, tmp_path):
    """A non-editable install (as Colab's pip install from git) finds its data offline."""
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(root)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("vstar_lite-*.whl"))
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    script = (
        "import vstar_lite.paths as p;"
        "print(p.data_path('synopses.json'));"
        "print(p.data_path('tiny_model', 'modelscope', 'model_index.json'));"
        "from vstar_lite.pipeline import VSTARPipeline;"
        "print(type(VSTARPipeline.from_pretrained('tiny').unet).__name__)"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(str(target / "vstar_lite" / "data"))
    assert lines[1].startswith(str(target / "vstar_lite" / "data" / "tiny_model" / "modelscope"))
    assert lines[-1] == "UNet3DConditionModel"  # the pipeline folder, loaded by diffusers
    # the installed command works offline too: generate and batch on the embedded tiny model
    items = tmp_path / "items.json"
    items.write_text(
        '[{"name": "one", "prompt": "a red circle moves right on a dark background"},'
        ' {"name": "two", "synopsis": "tiny_red_to_blue"}]'
    )
    offline = {**env, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    for command in (
        ["generate", "a blue bar moves up on a light background", "--out", "g.gif"],
        ["batch", str(items), "--out-dir", "videos"],
    ):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "vstar_lite",
                *command,
                "--frames",
                "4",
                "--steps",
                "2",
                "--no-progress",
            ],  # fmt: skip
            cwd=tmp_path,
            env=offline,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.gif").stat().st_size > 0
    assert sorted(p.name for p in (tmp_path / "videos").iterdir()) == ["one.gif", "two.gif"]
