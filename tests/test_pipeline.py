"""VSTARPipeline end to end on tiny random diffusers components built here (no downloads), on
the course's tiny pipeline folders (by name and by folder), export, and ``batch`` on two
processes."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import AutoencoderKL, DDIMScheduler
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
from vstar_lite.batch import BatchItem, load_batch, process_slot
from vstar_lite.diffusers_hooks import find_cross_attentions
from vstar_lite.export import save_mp4, save_video
from vstar_lite.paths import data_path
from vstar_lite.pipeline import PRESETS, TINY_PIPELINES, VSTARPipeline, is_tiny_model, tiny_folder
from vstar_lite.tar import TARConfig
from vstar_lite.vsp import Synopsis, interpolate_embeddings

from test_diffusers_hooks import tiny_motion_unet, tiny_unet3d

FRAMES, TEXT_LEN, TEXT_DIM = 6, 8, 16  # TEXT_DIM: the tiny UNets' cross_attention_dim
TINY_PROMPT = "a red circle moves right on a dark background"
SYNOPSIS = Synopsis("a cat turns into a dog", ("a red cat", "a grey cat dog", "a blue dog"))


# ------------------------------------------------------------------------- tiny random parts
def tiny_tokenizer(folder: Path) -> CLIPTokenizer:
    """A character-level CLIP tokenizer: every letter, alone and word-final; no merges."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    tokens = [*letters, *(c + "</w>" for c in letters), "<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=TEXT_LEN
    )


def tiny_parts(tmp_path_factory, unet) -> dict:
    torch.manual_seed(0)
    tokenizer = tiny_tokenizer(tmp_path_factory.mktemp("tokenizer"))
    config = CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=TEXT_DIM, intermediate_size=32,
        num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=TEXT_LEN,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    vae = AutoencoderKL(
        block_out_channels=(8, 16), down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, norm_num_groups=4,
        layers_per_block=1, sample_size=16,
    )  # fmt: skip
    scheduler = DDIMScheduler(beta_schedule="scaled_linear", clip_sample=False,
                              timestep_spacing="trailing")  # fmt: skip
    return dict(tokenizer=tokenizer, text_encoder=CLIPTextModel(config).eval(), unet=unet,
                vae=vae.eval(), scheduler=scheduler)  # fmt: skip


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    return VSTARPipeline(**tiny_parts(tmp_path_factory, tiny_unet3d()), guidance=5.0, steps=3)


@pytest.fixture(scope="module")
def motion_pipe(tmp_path_factory):
    return VSTARPipeline(**tiny_parts(tmp_path_factory, tiny_motion_unet()), guidance=5.0, steps=3)


def sample(pipe, prompt="a red cat", **kwargs):
    kwargs = {"num_frames": FRAMES, "progress": False, **kwargs}
    return pipe(prompt, **kwargs)


# ---------------------------------------------------------------------- diffusers components
def test_pipeline_end_to_end_on_a_tiny_unet3d(pipe):
    processors = dict(pipe.unet.attn_processors)
    result = sample(pipe)
    assert result.videos.shape == (1, 3, FRAMES, 16, 16) and result.videos.dtype == torch.float32
    assert result.videos.abs().max() <= 1.0 and result.capture is None
    (frames,) = result.frames
    assert frames.shape == (FRAMES, 16, 16, 3) and frames.dtype == np.uint8
    assert torch.equal(sample(pipe).videos, result.videos)  # reproducible from the seed
    assert not torch.allclose(sample(pipe, seed=1).videos, result.videos)
    two = sample(pipe, ["a red cat", "a blue dog"])
    torch.testing.assert_close(two.videos[:1], result.videos, atol=1e-5, rtol=0)
    tar = sample(pipe, tar=TARConfig({0: 1.0, 1: 1.0}, until_step=None), capture=True)
    assert not torch.allclose(tar.videos, result.videos)
    assert {key[1] for key in tar.capture.maps()} == {0, 1, 2}  # one map per level and step
    assert all(m.shape == (FRAMES, FRAMES) for m in tar.capture.maps().values())
    after = pipe.unet.attn_processors  # the hooks are gone after the call
    assert all(after[name] is processor for name, processor in processors.items())
    assert torch.equal(sample(pipe).videos, result.videos)


def test_pipeline_latents_equal_a_hand_written_guided_ddim_loop(pipe):
    """The sampling loop itself: frame-major noise, [uncond; cond] batch, guidance, DDIM."""
    steps, guidance, seed = 3, 5.0, 7
    got = sample(pipe, steps=steps, guidance=guidance, seed=seed, output="latent").videos
    with torch.no_grad():
        cond, uncond = pipe.encode_prompt(["a red cat"]), pipe.encode_prompt([""])
        noise = torch.randn(1, FRAMES, 4, 8, 8, generator=torch.Generator().manual_seed(seed))
        latents = noise.permute(0, 2, 1, 3, 4)
        scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
        scheduler.set_timesteps(steps)
        for t in scheduler.timesteps:
            out = pipe.unet(torch.cat([latents] * 2), t, torch.cat([uncond, cond])).sample
            out_uncond, out_cond = out.chunk(2)
            out = out_uncond + guidance * (out_cond - out_uncond)
            latents = scheduler.step(out, t, latents).prev_sample
    torch.testing.assert_close(got, latents)
    no_guidance = sample(pipe, steps=steps, guidance=1.0, seed=seed, output="latent").videos
    assert not torch.allclose(no_guidance, got)


def test_chunked_vae_decoding_equals_decoding_all_frames_at_once(pipe):
    latents = torch.randn(2, 4, 5, 8, 8, generator=torch.Generator().manual_seed(3))
    whole = pipe.decode_latents(latents, decode_chunk=100)
    assert whole.shape == (2, 3, 5, 16, 16)
    with torch.no_grad():  # frame f of video b is the VAE's image of latent frame f of video b
        one = pipe.vae.decode(latents[1, :, 3][None] / pipe.vae.config.scaling_factor).sample
    torch.testing.assert_close(whole[1, :, 3], one[0].clamp(-1, 1), atol=1e-5, rtol=1e-5)
    for chunk in (1, 3):
        torch.testing.assert_close(pipe.decode_latents(latents, chunk), whole, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="decode_chunk must be an int >= 1, got 0"):
        pipe.decode_latents(latents, 0)


@pytest.mark.parametrize("which", ["unet3d", "motion"])
def test_per_frame_embeddings_reach_their_frames(pipe, motion_pipe, which):
    pipe = pipe if which == "unet3d" else motion_pipe
    layer = pipe.unet.get_submodule(find_cross_attentions(pipe.unet)[0])
    seen = []
    hook = layer.to_k.register_forward_hook(lambda m, args, out: seen.append(args[0].clone()))
    try:
        sample(pipe, None, synopsis=SYNOPSIS, steps=1)
    finally:
        hook.remove()
    context = seen[0]  # "(2 f) L D": [unconditional frames; conditional frames]
    assert context.shape == (2 * FRAMES, TEXT_LEN, TEXT_DIM)
    want = interpolate_embeddings(pipe.encode_prompt(SYNOPSIS.sub_prompts), FRAMES)
    torch.testing.assert_close(context[FRAMES:], want)
    assert not torch.allclose(want[0], want[-1])  # the frames do get different text
    uncond = pipe.encode_prompt([""])
    torch.testing.assert_close(context[:FRAMES], uncond.expand(FRAMES, -1, -1))


def test_motion_unet_pipeline_end_to_end(motion_pipe):
    result = sample(motion_pipe, steps=2)
    assert result.frames[0].shape == (FRAMES, 16, 16, 3)
    tar = sample(motion_pipe, steps=2, tar=TARConfig({0: 1.0}, until_step=None))
    assert not torch.allclose(tar.videos, result.videos)
    assert torch.equal(sample(motion_pipe, steps=2).videos, result.videos)


def test_from_pretrained_loads_a_saved_diffusers_text_to_video_pipeline_offline(
    pipe, tmp_path, monkeypatch
):
    from diffusers import TextToVideoSDPipeline

    parts = dict(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder, unet=pipe.unet,
                 vae=pipe.vae, scheduler=pipe.scheduler)  # fmt: skip
    TextToVideoSDPipeline(**parts).save_pretrained(tmp_path / "t2v")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded = VSTARPipeline.from_pretrained(tmp_path / "t2v", device="cpu")
    assert type(loaded.unet).__name__ == "UNet3DConditionModel" and loaded.dtype == torch.float32
    assert loaded.vae_scale_factor == 2 and (loaded.height, loaded.width) == (16, 16)
    settings = dict(steps=2, guidance=5.0)
    torch.testing.assert_close(
        sample(loaded, **settings).videos, sample(pipe, **settings).videos, atol=1e-5, rtol=0
    )


# Bad input -> the one-line error it gets, before the text encoder or the UNet runs.
BAD_INPUTS = [
    (dict(num_frames=0), r"num_frames must be an int >= 1, got 0"),
    (dict(steps=0), r"steps must be an int in \[1, 1000\], got 0"),
    (dict(guidance=0.5), r"guidance \(1 = no guidance\) must be a finite number >= 1, got 0.5"),
    (dict(guidance=float("nan")), r"guidance .* must be a finite number >= 1, got nan"),
    (dict(guidance=float("inf")), r"guidance .* must be a finite number >= 1, got inf"),
    (dict(guidance="9"), r"guidance .* must be a finite number >= 1, got '9'"),
    (dict(eta=float("nan")), r"eta must be a finite number in \[0, 1\], got nan"),
    (dict(eta=1.5), r"eta must be a finite number in \[0, 1\], got 1.5"),
    (dict(height=15), r"height must be a positive multiple of 2, got 15"),
    (dict(width=True), r"width must be a positive multiple of 2, got True"),
    (dict(seed=-1), r"seed must be an int in \[0, 18446744073709551615\], got -1"),
    (dict(seed=2**70), r"seed must be an int in \[0, 18446744073709551615\]"),
    (dict(tar={0: 1.0}), r"tar must be a TARConfig or None, got dict"),
    (
        dict(tar=TARConfig({0: 1.0}, until_step=5, reference_steps=None)),
        r"until_step=5 is past the last of 3 sampling steps",
    ),  # fmt: skip
    (dict(tar=TARConfig({4: 1.0})), r"unknown UNet levels \[4\]"),
    (dict(prompt=""), r"prompt must be a non-empty string or a list of them, got ''"),
    (dict(prompt="   "), r"prompt must be a non-empty string"),
    (dict(prompt=7), r"prompt must be a non-empty string or a list of them, got 7"),
    (dict(prompt=[]), r"prompt must be a non-empty string or a list of them, got \[\]"),
    (dict(prompt=["a red cat", 3]), r"got 3 in \['a red cat', 3\]"),
    (dict(prompt=None), r"exactly one of prompt and synopsis"),
    (dict(synopsis=SYNOPSIS), r"exactly one of prompt and synopsis"),
    (
        dict(prompt=None, synopsis="nope"),
        r"synopsis 'nope' is not shipped; for pretrained models: \[",
    ),
    (dict(prompt=None, synopsis=[]), r"synopsis must be a Synopsis, a shipped name or a non-em"),
    (dict(prompt=None, synopsis=[SYNOPSIS, 5]), r"synopsis must be a Synopsis or a shipped n"),
    (dict(negative_prompt=None), r"negative_prompt must be a string, got None"),
    (dict(output="gif"), r"output must be 'video' or 'latent', got 'gif'"),
    (dict(decode_chunk=0), r"decode_chunk must be an int >= 1, got 0"),
]


@pytest.fixture
def no_compute(pipe, monkeypatch):
    """The pipeline, with a text encoder and a UNet that fail the test if they are called."""

    def refuse(*args, **kwargs):
        raise AssertionError("compute was spent before the bad input was refused")

    monkeypatch.setattr(pipe.text_encoder, "forward", refuse)
    monkeypatch.setattr(pipe.unet, "forward", refuse)
    return pipe


@pytest.mark.parametrize(("kwargs", "message"), BAD_INPUTS, ids=lambda v: str(v)[:40])
def test_bad_input_is_refused_by_name_before_any_compute(no_compute, kwargs, message):
    kwargs = {"prompt": "a red cat", **kwargs}
    prompt = kwargs.pop("prompt")
    processors = dict(no_compute.unet.attn_processors)
    with pytest.raises(ValueError, match=message) as error:
        sample(no_compute, prompt, **kwargs)
    assert "\n" not in str(error.value)  # one line
    assert all(no_compute.unet.attn_processors[k] is p for k, p in processors.items())


def test_eta_reaches_ddim(pipe):
    """eta = 0 is deterministic DDIM; eta = 1 adds noise from the seed (the paper's setting)."""
    base = sample(pipe, steps=3, output="latent").videos
    noisy = sample(pipe, steps=3, eta=1.0, output="latent").videos
    assert not torch.allclose(noisy, base)
    assert torch.equal(sample(pipe, steps=3, eta=1.0, output="latent").videos, noisy)


# ------------------------------------------------------------------------------ tiny model
def test_from_tiny_gives_the_frames_of_from_pretrained_of_the_shipped_folder():
    settings = dict(num_frames=4, steps=2, seed=4, progress=False)
    tiny = VSTARPipeline.from_tiny()  # "tiny"
    assert tiny.is_tiny and (tiny.height, tiny.width) == (32, 32)
    assert (tiny.default_guidance, tiny.default_steps) == (4.0, 25)  # from its vstar_lite.json
    assert tiny_folder("tiny") == data_path("tiny_model", "modelscope")
    processors = dict(tiny.unet.attn_processors)
    got = tiny(TINY_PROMPT, **settings).videos
    assert got.shape == (1, 3, 4, 32, 32)
    tar = TARConfig({0: 1.0, 1: 1.0})  # through the diffusers attention processors
    with_tar = tiny(TINY_PROMPT, tar=tar, **settings).videos
    assert not torch.equal(with_tar, got)
    assert tiny.unet.attn_processors == processors  # restored after the loop
    for other in (
        VSTARPipeline.from_pretrained("tiny", device="cpu"),
        VSTARPipeline.from_tiny(tiny_folder("tiny")),  # the same folder, by path
    ):
        assert torch.equal(got, other(TINY_PROMPT, **settings).videos)
        assert torch.equal(with_tar, other(TINY_PROMPT, tar=tar, **settings).videos)


def test_tiny_names_and_trained_folders_are_recognized(tmp_path):
    assert sorted(TINY_PIPELINES) == ["scvideo", "tiny", "tiny-animatediff"]
    assert TINY_PIPELINES["scvideo"] == "scvideo"
    assert TINY_PIPELINES["tiny-animatediff"] == "animatediff"  # not the preset "animatediff"
    assert is_tiny_model("tiny") and is_tiny_model("scvideo") and is_tiny_model("tiny-animatediff")
    assert is_tiny_model(tiny_folder("tiny"))  # a folder with vstar_lite.json
    assert is_tiny_model(tiny_folder("tiny-animatediff"))
    assert not is_tiny_model("modelscope") and not is_tiny_model("animatediff")
    assert not is_tiny_model("vstar") and not is_tiny_model(tmp_path)
    with pytest.raises(ValueError, match=r"name_or_dir must be one of \['scvideo', 'tiny', 'tiny-"):
        VSTARPipeline.from_tiny("modelscope")  # a preset: never downloaded by from_tiny


def _no_shipped_data(monkeypatch, root: Path) -> None:
    """Make ``data_path`` look in ``root`` only."""
    import vstar_lite.paths

    monkeypatch.setattr(vstar_lite.paths, "_CANDIDATES", (root,))


def test_loading_scvideo_without_its_folder_says_what_is_missing_and_how_to_train_it(
    tmp_path, monkeypatch
):
    _no_shipped_data(monkeypatch, tmp_path)
    for load in (VSTARPipeline.from_tiny, VSTARPipeline.from_pretrained):
        with pytest.raises(FileNotFoundError) as error:
            load("scvideo", device="cpu")
        message = str(error.value)
        assert "\n" not in message
        assert message.startswith(
            "tiny model 'scvideo' is not shipped: folder data/tiny_model/scvideo is missing; "
            "train it with `vstar-lite train --preset quick --layout scvideo --out "
        )


def test_scvideo_loads_its_folder_with_the_sparse_causal_layout_once_shipped(tmp_path, monkeypatch):
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
    save_pipeline(
        tmp_path / "tiny_model" / "scvideo", vae=build_autoencoder(),
        text_encoder=build_text_encoder(len(tokenizer)), tokenizer=tokenizer, unet=build_unet(),
        scheduler=build_scheduler("sample"), layout="scvideo", dtype=torch.float32,
    )  # fmt: skip
    _no_shipped_data(monkeypatch, tmp_path)
    pipe = VSTARPipeline.from_tiny("scvideo")
    kinds = {type(p).__name__ for n, p in pipe.unet.attn_processors.items()
             if ".attentions." in n and "attn1" in n}  # fmt: skip
    assert pipe.is_tiny and kinds == {"SparseCausalProcessor"}
    video = pipe(TINY_PROMPT, num_frames=3, steps=1, progress=False).videos
    assert video.shape == (1, 3, 3, 32, 32)


@pytest.fixture
def recorded_loads(pipe, monkeypatch):
    """diffusers' loaders replaced by recorders that hand back the tiny test parts."""
    import types

    import diffusers

    calls = []
    names = ("tokenizer", "text_encoder", "unet", "vae", "scheduler")
    parts = types.SimpleNamespace(**{name: getattr(pipe, name) for name in names})

    def recorder(kind, result):
        def load(model_id, **kwargs):
            calls.append((kind, model_id, kwargs))
            return result

        return load

    monkeypatch.setattr(diffusers.DiffusionPipeline, "from_pretrained",
                        recorder("pipeline", parts))  # fmt: skip
    monkeypatch.setattr(diffusers.AnimateDiffPipeline, "from_pretrained",
                        recorder("animatediff", parts))  # fmt: skip
    monkeypatch.setattr(diffusers.MotionAdapter, "from_pretrained",
                        recorder("adapter", "the adapter"))  # fmt: skip
    return calls


def test_presets_load_their_models_safely_with_their_sampling_settings(recorded_loads):
    loaded = VSTARPipeline.from_pretrained("modelscope", dtype="float16", device="cpu")
    ((kind, model_id, kwargs),) = recorded_loads
    assert (kind, model_id) == ("pipeline", PRESETS["modelscope"].model_id)
    assert kwargs["variant"] == "fp16" and kwargs["use_safetensors"] is True
    assert torch.float16 in kwargs.values()
    assert type(loaded.scheduler).__name__ == "DDIMScheduler"
    assert (loaded.default_guidance, loaded.default_steps, loaded.height) == (9.0, 25, 256)

    recorded_loads.clear()
    loaded = VSTARPipeline.from_pretrained("animatediff", device="cpu", use_safetensors=False)
    (adapter, base) = recorded_loads
    preset = PRESETS["animatediff"]
    assert adapter[:2] == ("adapter", preset.motion_adapter)
    assert adapter[2]["use_safetensors"] is False  # the user's choice reaches both loaders
    assert base[:2] == ("animatediff", preset.model_id)
    assert base[2]["motion_adapter"] == "the adapter" and base[2]["use_safetensors"] is False
    config = loaded.scheduler.config
    assert {key: config[key] for key in preset.scheduler} == preset.scheduler
    assert (loaded.default_guidance, loaded.height, loaded.width) == (7.5, 512, 512)


def test_a_local_folder_loads_offline_from_safetensors_only(recorded_loads, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    VSTARPipeline.from_pretrained(folder, device="cpu")
    ((_, model_id, kwargs),) = recorded_loads
    assert model_id == str(folder)
    assert kwargs["local_files_only"] is True and kwargs["use_safetensors"] is True


# ---------------------------------------------------------------------------------- export
@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(4, 7, 9, 3), dtype=np.uint8)  # odd sizes on purpose


def test_gif_export_keeps_frames_and_size(frames, tmp_path):
    from PIL import Image

    path = save_video(frames, tmp_path / "v.gif", scale=2)
    with Image.open(path) as image:
        assert (image.n_frames, image.size) == (4, (18, 14))
    with pytest.raises(ValueError, match=r"path must end in .gif or .mp4, got '.*v.avi'"):
        save_video(frames, tmp_path / "v.avi")
    with pytest.raises(ValueError, match=r"frames must be uint8 with shape \(f, h, w, 3\)"):
        save_video(frames.astype(np.float32), tmp_path / "v.gif")


def fake_ffmpeg(folder: Path) -> Path:
    """An ``ffmpeg`` on PATH that records its arguments and stdin size, and writes the file."""
    script = folder / "ffmpeg"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "data = sys.stdin.buffer.read()\n"
        "json.dump({'args': sys.argv[1:], 'bytes': len(data)}, open(sys.argv[-1] + '.json', 'w'))\n"
        "open(sys.argv[-1], 'wb').write(b'fake')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def test_mp4_export_asks_ffmpeg_for_browser_playable_h264(frames, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_ffmpeg(tmp_path)))
    path = save_mp4(frames, tmp_path / "v.mp4", fps=6)
    call = json.loads(Path(str(path) + ".json").read_text())
    args = call["args"]
    assert call["bytes"] == frames.size
    for flag, value in [("-c:v", "libx264"), ("-pix_fmt", "yuv420p"), ("-s", "9x7"),
                        ("-r", "6"), ("-movflags", "+faststart")]:  # fmt: skip
        assert value in [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag], flag
    assert "pad=ceil(iw/2)*2:ceil(ih/2)*2" in args  # even sizes for yuv420p


def test_mp4_export_without_ffmpeg_names_the_tool(frames, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="MP4 export needs the ffmpeg program"):
        save_video(frames, tmp_path / "v.mp4")


@pytest.mark.skipif(
    not __import__("shutil").which("ffmpeg"), reason="ffmpeg is not installed on this machine"
)
def test_real_ffmpeg_writes_an_mp4(frames, tmp_path):
    path = save_video(frames, tmp_path / "v.mp4", fps=4)
    assert path.read_bytes()[4:8] == b"ftyp"


# ----------------------------------------------------------------------------------- batch
def test_batch_files_in_both_formats(tmp_path):
    items = tmp_path / "items.json"
    items.write_text(json.dumps([
        {"name": "a", "prompt": TINY_PROMPT, "frames": 4, "tar": {"0": 1}},
        {"name": "b", "synopsis": "tiny_dusk", "tar": None},
    ]))  # fmt: skip
    a, b = load_batch(items)
    assert a == BatchItem("a", prompt=TINY_PROMPT, frames=4, tar={"0": 1})
    assert b.synopsis == "tiny_dusk" and b.tar is None
    synopses = load_batch(Path(__file__).parents[1] / "data" / "synopses.json")
    assert all(isinstance(item.synopsis, Synopsis) for item in synopses)
    bad = [
        ([{"name": "a", "prompt": "x"}, {"name": "a", "prompt": "y"}], "name 'a' is used twice"),
        ([{"name": "a/b", "prompt": "x"}], "item 0 of bad.json: name must be"),
        ([{"name": "a"}], "needs exactly one of 'prompt' and 'synopsis'"),
        ([{"name": "a", "prompt": "x", "colour": 1}], r"unknown fields \['colour'\]"),
        ([], "non-empty list"),
    ]
    for content, message in bad:
        (tmp_path / "bad.json").write_text(json.dumps(content))
        with pytest.raises(ValueError, match=message):
            load_batch(tmp_path / "bad.json")


def test_process_slot_from_the_environment():
    assert process_slot({}).world_size == 1
    slot = process_slot({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert (slot.rank, slot.world_size, slot.local_rank) == (3, 4, 1)
    with pytest.raises(ValueError, match="0 <= RANK < WORLD_SIZE, got RANK=2 WORLD_SIZE=2"):
        process_slot({"RANK": "2", "WORLD_SIZE": "2"})


def test_batch_on_two_processes_writes_one_output_per_item_and_reports_the_failure(tmp_path):
    names = ["circle", "pink", "dusk", "bar", "blue"]
    items = [
        {"name": "circle", "prompt": TINY_PROMPT},
        {"name": "pink", "prompt": "a pink circle"},  # unknown word: this item fails
        {"name": "dusk", "synopsis": "tiny_dusk", "frames": 3, "tar": {"0": 1}},
        {"name": "bar", "prompt": "a green bar moves up on a light background"},
        {"name": "blue", "prompt": "a blue circle moves left on a dark background", "seed": 3},
    ]
    (tmp_path / "items.json").write_text(json.dumps(items))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "vstar_lite", "batch", str(tmp_path / "items.json"),
               "--out-dir", str(out), "--frames", "4", "--steps", "1", "--no-progress"]  # fmt: skip
    runs = [
        subprocess.Popen(
            command,
            env={**os.environ, "RANK": str(rank), "WORLD_SIZE": "2", "OMP_NUM_THREADS": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    (rc0, out0, err0), (rc1, out1, err1) = results
    assert rc0 == 0, err0
    assert rc1 == 1 and "item 'pink' failed: unknown word 'pink'" in err1
    assert "1 of 2 items written, 1 failed: ['pink']" in err1
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{name}.gif" for name in names if name != "pink"
    )
    for name in ("circle", "dusk", "blue"):  # process 0 took items 0, 2, 4
        assert f"[0/2] {name}:" in out0 and name not in out1
    assert "[1/2] bar:" in out1
    assert "[0/2] dusk: 3 frames" in out0  # the item's own frame count


@pytest.mark.parametrize(
    ("scheduler_name", "steps", "last"),
    [
        ("DDIMScheduler", 25, 13),  # the reference: steps 0..13 of 25
        ("DDIMScheduler", 50, 27),  # the same 56% of sampling at 50 steps
        ("DPMSolverMultistepScheduler", 20, 10),
        ("EulerDiscreteScheduler", 10, 5),
        ("HeunDiscreteScheduler", 10, 5),  # two UNet calls per step
    ],
)
def test_tar_covers_the_same_share_of_sampling_with_any_scheduler(
    pipe, monkeypatch, scheduler_name, steps, last
):
    import diffusers
    from vstar_lite.processors import TemporalProcessor

    seen = []
    original = TemporalProcessor.regularizing

    def spy(self):
        on = original(self)
        seen.append((self.state.step, on))
        return on

    monkeypatch.setattr(TemporalProcessor, "regularizing", spy)
    scheduler = getattr(diffusers, scheduler_name).from_config(pipe.scheduler.config)
    monkeypatch.setattr(pipe, "scheduler", scheduler)
    tar = TARConfig({0: 1.0, 1: 1.0})  # until_step=13 of reference_steps=25
    sample(pipe, steps=steps, tar=tar, num_frames=2, height=8, width=8, guidance=1.0)
    assert sorted({step for step, _ in seen}) == list(range(steps))
    assert sorted({step for step, on in seen if on}) == list(range(last + 1))
    assert tar.last_step(steps) == last
