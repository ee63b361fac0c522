"""The tiny model as diffusers and transformers components: tokenizer, UNet mechanism, sparse
causal layout, two-stage training (deterministic, resumable) and the pipeline folder, which
diffusers' own loader reads into frames equal to VSTARPipeline's."""

import itertools
import json

import pytest
import torch
from diffusers import DiffusionPipeline, UNet3DConditionModel
from einops import rearrange
from vstar_lite.attention import attention
from vstar_lite.diffusers_hooks import SparseCausalProcessor, set_sparse_causal
from vstar_lite.pipeline import VSTARPipeline
from vstar_lite.tiny.parts import (
    LATENT_CHANNELS,
    LAYOUT_FILE,
    MAX_TOKENS,
    WORDS,
    build_autoencoder,
    build_scheduler,
    build_text_encoder,
    build_tokenizer,
    build_unet,
    check_prompt,
    read_layout,
)
from vstar_lite.tiny.training import (
    AutoencoderConfig,
    DenoiserConfig,
    cached_pool,
    encode_pool,
    min_snr_weight,
    object_mask,
    pretrain_text_encoder,
    save_pipeline,
    train_autoencoder,
    train_denoiser,
)
from vstar_lite.tiny.world import caption, sample_clips

PROMPT = "a red circle moves right on a dark background"


def test_every_word_is_one_token_and_captions_pad_to_sixteen(tmp_path):
    tokenizer = build_tokenizer()
    ids = {w: tokenizer(w).input_ids for w in WORDS}
    assert all(len(v) == 3 and v[0] == 0 and v[2] == 1 for v in ids.values())
    assert len({v[1] for v in ids.values()}) == len(WORDS)
    tokens = tokenizer(PROMPT, padding="max_length", max_length=tokenizer.model_max_length)
    assert len(tokens.input_ids) == MAX_TOKENS
    assert tokens.input_ids[1:10] == [ids[w][1] for w in PROMPT.split()]
    tokenizer.save_pretrained(tmp_path)
    from transformers import CLIPTokenizer

    again = CLIPTokenizer.from_pretrained(tmp_path)
    assert again(PROMPT).input_ids == tokenizer(PROMPT).input_ids
    check_prompt(PROMPT)
    with pytest.raises(ValueError, match="unknown word 'elephant'"):
        check_prompt("a red elephant")


def test_unet_has_modelscopes_mechanism_and_no_frame_positions():
    unet = build_unet()
    convs = [n for n, _ in unet.named_modules() if n.endswith(("temp_convs.0", "temp_convs.1"))]
    resnets = [n for n, _ in unet.named_modules() if n.endswith(("resnets.0", "resnets.1"))]
    assert len(convs) == len(resnets) > 0  # a temporal convolution after every ResNet
    assert unet.transformer_in is not None
    for name, module in unet.named_modules():
        if name.endswith("temp_attentions.0") or name == "transformer_in":
            for block in module.transformer_blocks:
                assert block.pos_embed is None, f"{name} has frame positions"
    # permutation-equivariant over frames: shuffling the frames of transformer_in's input
    # shuffles its output (no position tells it the order)
    x = torch.randn(2 * 5, 32, 4, 4)
    perm = torch.tensor([3, 0, 4, 1, 2])
    out = unet.transformer_in(x, num_frames=5).sample
    shuffled = rearrange(x, "(b f) c h w -> b f c h w", f=5)[:, perm].flatten(0, 1)
    out_shuffled = unet.transformer_in(shuffled, num_frames=5).sample
    expected = rearrange(out, "(b f) c h w -> b f c h w", f=5)[:, perm].flatten(0, 1)
    torch.testing.assert_close(out_shuffled, expected, atol=1e-5, rtol=1e-5)


def test_sparse_causal_processor_equals_eq2_by_hand():
    torch.manual_seed(0)
    unet = build_unet()
    set_sparse_causal(unet)
    layer = unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1
    assert isinstance(layer.processor, SparseCausalProcessor)
    assert not isinstance(
        unet.down_blocks[0].temp_attentions[0].transformer_blocks[0].attn1.processor,
        SparseCausalProcessor,
    )
    b, f, n, c = 2, 4, 16, 32
    x = torch.randn(b * f, n, c)
    unet(torch.randn(b, LATENT_CHANNELS, f, 8, 8), 10, torch.randn(b, MAX_TOKENS, 64))  # frames
    out = layer(x)
    frames = rearrange(x, "(b f) n c -> b f n c", f=f)
    h = layer.heads
    for i in range(f):
        source = torch.cat([frames[:, 0], frames[:, max(i - 1, 0)]], dim=1)  # [f_1; f_{i-1}]
        q = rearrange(layer.to_q(frames[:, i]), "b n (h d) -> b h n d", h=h)
        k = rearrange(layer.to_k(source), "b m (h d) -> b h m d", h=h)
        v = rearrange(layer.to_v(source), "b m (h d) -> b h m d", h=h)
        expected = layer.to_out[0](rearrange(attention(q, k, v), "b h n d -> b n (h d)"))
        torch.testing.assert_close(out.view(b, f, n, c)[:, i], expected, atol=1e-5, rtol=1e-5)


@pytest.fixture(scope="module")
def autoencoder_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("ae")
    train_autoencoder(AutoencoderConfig(steps=2, clips=2, frames_per_clip=2, log_every=1),
                      out, progress=False)  # fmt: skip
    return out / "vae"


def test_latent_noise_changes_what_the_decoder_learns(autoencoder_dir, tmp_path):
    from diffusers import AutoencoderKL

    def decoder_weights(config):
        out = tmp_path / str(config.latent_noise)
        train_autoencoder(config, out, progress=False)
        vae = AutoencoderKL.from_pretrained(out / "vae")
        return torch.cat([p.flatten() for p in vae.decoder.parameters()])

    base = dict(steps=2, clips=2, frames_per_clip=2, log_every=1)
    plain = decoder_weights(AutoencoderConfig(**base))
    noisy = decoder_weights(AutoencoderConfig(**base, latent_noise=0.5))
    again = decoder_weights(AutoencoderConfig(**base, latent_noise=0.5))  # deterministic
    assert not torch.equal(plain, noisy)
    torch.testing.assert_close(noisy, again, atol=0, rtol=0)
    with pytest.raises(ValueError, match=r"latent_noise must be a number in \[0, 2\]"):
        AutoencoderConfig(latent_noise=3)


def test_autoencoder_stage_exports_a_scaled_autoencoderkl(autoencoder_dir):
    from diffusers import AutoencoderKL

    vae = AutoencoderKL.from_pretrained(autoencoder_dir)
    assert vae.config.scaling_factor != 0.18215  # set from the latents, not SD's default
    latents = vae.encode(torch.zeros(1, 3, 32, 32)).latent_dist.mean
    assert latents.shape == (1, LATENT_CHANNELS, 8, 8)


TINY_RUN = dict(
    steps=3, batch=2, frames=4, log_every=1, checkpoint_every=1, warmup=1, latent_pool=4
)


def _weights(folder):
    unet = UNet3DConditionModel.from_pretrained(folder / "unet")
    return torch.cat([p.flatten() for p in unet.parameters()])


def test_denoiser_training_is_deterministic_and_resumes_exactly(autoencoder_dir, tmp_path):
    config = DenoiserConfig(**TINY_RUN)
    a = train_denoiser(config, tmp_path / "a", autoencoder_dir, progress=False)
    b = train_denoiser(config, tmp_path / "b", autoencoder_dir, progress=False, stop_after=2)
    b = train_denoiser(config, tmp_path / "b", autoencoder_dir, progress=False)
    torch.testing.assert_close(_weights(a), _weights(b), atol=0, rtol=0)
    other = train_denoiser(DenoiserConfig(**TINY_RUN, seed=1), tmp_path / "c", autoencoder_dir,
                           progress=False)  # fmt: skip
    assert not torch.equal(_weights(a), _weights(other))


def test_the_latent_pool_holds_the_encoded_clips_of_the_world(autoencoder_dir):
    from diffusers import AutoencoderKL

    vae = AutoencoderKL.from_pretrained(autoencoder_dir).eval()
    latents, captions, masks = encode_pool(vae, 3, 4, seed=0)
    assert latents.shape == (3, LATENT_CHANNELS, 4, 8, 8) and len(captions) == 3
    assert masks.shape == (3, 4, 8, 8) and masks.dtype == torch.bool
    again = encode_pool(vae, 3, 4, seed=0)
    torch.testing.assert_close(latents, again.latents, atol=0, rtol=0)
    assert torch.equal(masks, again.masks)
    assert not torch.equal(latents, encode_pool(vae, 3, 4, seed=1).latents)


def test_the_object_mask_marks_the_latent_pixels_under_the_shape_and_its_rim():
    videos = sample_clips(3, 5, seed=7).videos  # "b 3 f 32 32"
    mask = object_mask(videos)
    rgb = (videos + 1) / 2
    coloured = (rgb.amax(dim=1) - rgb.amin(dim=1)) > 0.1  # "b f 32 32"
    for b, f, y, x in itertools.product(range(3), range(5), range(8), range(8)):
        # the 4 x 4 block of latent pixel (y, x), grown by the one-pixel rim
        block = coloured[b, f, max(0, 4 * y - 1) : 4 * y + 5, max(0, 4 * x - 1) : 4 * x + 5]
        assert mask[b, f, y, x] == block.any()
    assert 0 < mask.float().mean() < 0.5  # a shape covers a few latent pixels, not the frame


def test_a_cached_pool_is_reused_only_for_the_same_encoder_and_settings(autoencoder_dir, tmp_path):
    from diffusers import AutoencoderKL

    vae = AutoencoderKL.from_pretrained(autoencoder_dir).eval()
    config = DenoiserConfig(**TINY_RUN)
    cache = tmp_path / "pool.pt"
    latents = cached_pool(vae, autoencoder_dir, config, cache, progress=False).latents
    stored = torch.load(cache, weights_only=True)
    stored["latents"].zero_()  # a marker: a reused cache hands these zeros back
    torch.save(stored, cache)
    reused = cached_pool(vae, autoencoder_dir, config, cache, progress=False).latents
    assert not reused.any()
    other = DenoiserConfig(**{**TINY_RUN, "seed": 3})  # another seed: encoded afresh
    fresh = cached_pool(vae, autoencoder_dir, other, cache, progress=False).latents
    assert fresh.any() and not torch.equal(fresh, latents)


def test_denoiser_training_without_a_pool_encodes_fresh_clips(autoencoder_dir, tmp_path):
    fresh = DenoiserConfig(**{**TINY_RUN, "latent_pool": 0})
    pooled = DenoiserConfig(**TINY_RUN)
    a = train_denoiser(fresh, tmp_path / "a", autoencoder_dir, progress=False)
    b = train_denoiser(pooled, tmp_path / "b", autoencoder_dir, progress=False)
    assert not torch.equal(_weights(a), _weights(b))
    with pytest.raises(ValueError, match="latent_pool must be an int in"):
        DenoiserConfig(latent_pool=-1)


def _text_weights(folder):
    from transformers import CLIPTextModel

    encoder = CLIPTextModel.from_pretrained(folder / "text_encoder")
    return torch.cat([p.flatten().float() for p in encoder.parameters()])


def test_a_frozen_text_encoder_stays_at_its_initialisation(autoencoder_dir, tmp_path):
    frozen = train_denoiser(DenoiserConfig(**TINY_RUN, text_lr=0.0), tmp_path / "f",
                            autoencoder_dir, progress=False)  # fmt: skip
    trained = train_denoiser(DenoiserConfig(**TINY_RUN), tmp_path / "t", autoencoder_dir,
                             progress=False)  # fmt: skip
    torch.manual_seed(0)  # train_denoiser's seed: the encoder it starts from
    tokenizer = build_tokenizer()
    build_unet()  # drawn before the text encoder, as in train_denoiser
    start = build_text_encoder(len(tokenizer)).half().float()  # saved in fp16
    initial = torch.cat([p.flatten() for p in start.parameters()])
    torch.testing.assert_close(_text_weights(frozen), initial, atol=0, rtol=0)
    assert not torch.equal(_text_weights(trained), initial)
    assert not torch.equal(_weights(frozen), _weights(trained))  # the UNet saw other contexts
    with pytest.raises(ValueError, match=r"text_lr must be a number in \[0, 10\]"):
        DenoiserConfig(text_lr=-1)


def _final_token_states(text_encoder, tokenizer, captions: list[str]) -> torch.Tensor:
    ids = tokenizer(captions, padding="max_length", max_length=MAX_TOKENS, return_tensors="pt")
    with torch.no_grad():
        return text_encoder(ids.input_ids)[0][:, -1]  # "n D": the last padding token


def test_text_pretraining_makes_every_caption_word_visible_and_is_deterministic():
    tokenizer = build_tokenizer()
    base = ("red", "circle", "right", "dark")
    swaps = {0: "blue", 1: "bar", 2: "left", 3: "light"}  # one word changed at a time
    captions = [caption(*base)] + [
        caption(*(swaps[k] if i == k else v for i, v in enumerate(base))) for k in swaps
    ]
    encoders = []
    for _ in range(2):
        torch.manual_seed(0)
        encoder = build_text_encoder(len(tokenizer))
        before = _final_token_states(encoder, tokenizer, captions)
        losses = pretrain_text_encoder(encoder, tokenizer, steps=60, seed=0)
        encoders.append(encoder)
    assert losses[-1] < 0.1 * losses[0]
    after = _final_token_states(encoders[0], tokenizer, captions)
    gap_before, gap_after = ((x[1:] - x[:1]).norm(dim=-1) for x in (before, after))
    assert (gap_after > 2 * gap_before).all(), (gap_before, gap_after)  # every word, not colour
    torch.testing.assert_close(after, _final_token_states(encoders[1], tokenizer, captions))
    with pytest.raises(ValueError, match=r"text_pretrain must be an int in \[0, 10000\]"):
        DenoiserConfig(text_pretrain=-1)


def test_min_snr_weights_equal_the_x0_error_times_min_snr_gamma():
    from diffusers import DDPMScheduler

    schedule = DDPMScheduler.from_config(build_scheduler("sample").config)
    t = torch.tensor([0, 10, 200, 500, 999])
    for kind in ("sample", "epsilon", "v_prediction"):
        weight = min_snr_weight(kind, schedule, t, gamma=5.0)
        for i, step in enumerate(t.tolist()):
            a = float(schedule.alphas_cumprod[step])
            snr = a / (1 - a)
            # an error e in the target is an x0 error of e / sqrt(SNR) (noise), e * sqrt(1 - a)
            # (v) or e (x0): the weighted squared target error equals min(SNR, 5) x0 error**2
            error = torch.randn(6)
            x0_error = {"sample": error, "epsilon": error / snr**0.5,
                        "v_prediction": error * (1 - a) ** 0.5}[kind]  # fmt: skip
            expected = min(snr, 5.0) * x0_error.pow(2).sum()
            torch.testing.assert_close(weight[i] * error.pow(2).sum(), expected, rtol=1e-4,
                                       atol=1e-6)  # fmt: skip


def test_weighting_the_object_changes_what_the_denoiser_learns(autoencoder_dir, tmp_path):
    plain = train_denoiser(DenoiserConfig(**TINY_RUN), tmp_path / "p", autoencoder_dir,
                           progress=False)  # fmt: skip
    weighted = train_denoiser(DenoiserConfig(**TINY_RUN, object_weight=10.0), tmp_path / "w",
                              autoencoder_dir, progress=False)  # fmt: skip
    assert not torch.equal(_weights(plain), _weights(weighted))
    with pytest.raises(ValueError, match=r"object_weight must be a number in \[0, 100\]"):
        DenoiserConfig(object_weight=float("nan"))
    snr = train_denoiser(DenoiserConfig(**TINY_RUN, snr_gamma=5.0), tmp_path / "s",
                         autoencoder_dir, progress=False)  # fmt: skip
    assert not torch.equal(_weights(plain), _weights(snr))
    with pytest.raises(ValueError, match=r"snr_gamma must be a number in \[0, 100\]"):
        DenoiserConfig(snr_gamma=-1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    return save_pipeline(
        tmp_path_factory.mktemp("pipe") / "pipeline", vae=build_autoencoder(),
        text_encoder=build_text_encoder(len(tokenizer)), tokenizer=tokenizer,
        unet=build_unet(), scheduler=build_scheduler("sample"), dtype=torch.float32,
    )  # fmt: skip


def assert_same_frames(ours: VSTARPipeline, theirs) -> None:
    """``VSTARPipeline`` and diffusers' own pipeline, from the same noise: the same frames."""
    latents = ours.prepare_latents(1, 6, 32, 32, torch.Generator().manual_seed(3))
    mine = ours(PROMPT, num_frames=6, steps=4, guidance=4.0, seed=3, progress=False).videos
    video = theirs(PROMPT, num_frames=6, num_inference_steps=4, guidance_scale=4.0,
                   latents=latents.clone(), output_type="pt").frames  # fmt: skip
    video = rearrange(torch.as_tensor(video), "b f c h w -> b c f h w") * 2 - 1
    torch.testing.assert_close(mine, video.float().clamp(-1, 1), atol=1e-4, rtol=0)


def test_diffusers_own_loader_gives_the_same_frames_as_vstar_pipeline(folder):
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == "TextToVideoSDPipeline"
    assert all(p.suffix == ".safetensors" for p in folder.rglob("*.safetensors"))
    assert not list(folder.rglob("*.bin"))
    ours = VSTARPipeline.from_pretrained(folder, device="cpu")
    theirs = DiffusionPipeline.from_pretrained(folder, local_files_only=True)
    assert type(theirs).__name__ == "TextToVideoSDPipeline"
    assert_same_frames(ours, theirs)


def test_the_scvideo_layout_is_recorded_and_installed_on_load(folder, tmp_path):
    assert read_layout(folder) == "modelscope"
    settings = json.loads((folder / LAYOUT_FILE).read_text())
    (folder / LAYOUT_FILE).write_text(json.dumps({**settings, "layout": "scvideo"}))
    try:
        pipe = VSTARPipeline.from_pretrained(folder, device="cpu")
        kinds = {type(p).__name__ for n, p in pipe.unet.attn_processors.items()
                 if ".attentions." in n and "attn1" in n}  # fmt: skip
        assert kinds == {"SparseCausalProcessor"}
        assert pipe.default_guidance == settings["guidance"]
    finally:
        (folder / LAYOUT_FILE).write_text(json.dumps(settings))
    (tmp_path / LAYOUT_FILE).write_text(json.dumps({"layout": "unknown"}))
    with pytest.raises(ValueError, match="layout must be one of"):
        read_layout(tmp_path)


def test_a_tiny_pipeline_refuses_words_outside_its_grammar_before_sampling(folder):
    pipe = VSTARPipeline.from_pretrained(folder, device="cpu")
    assert pipe.is_tiny
    with pytest.raises(ValueError, match="unknown word 'elephant'"):
        pipe("a red elephant moves right on a dark background", num_frames=4, progress=False)


def test_loading_a_course_folder_is_quiet_and_restores_logging(folder, capfd):
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_info()
    try:
        VSTARPipeline.from_pretrained(folder, device="cpu")
        captured = capfd.readouterr()
        assert captured.err == "" and captured.out == ""
        assert diffusers_logging.get_verbosity() == diffusers_logging.INFO
        assert diffusers_logging.is_progress_bar_enabled()
    finally:
        diffusers_logging.set_verbosity_warning()


def test_the_animatediff_layout_trains_on_the_shipped_text_encoder_and_loads_in_diffusers(
    autoencoder_dir, tmp_path
):
    from diffusers import AnimateDiffPipeline, UNetMotionModel
    from vstar_lite.paths import data_path

    config = DenoiserConfig(**TINY_RUN, layout="animatediff", text_lr=0.0, text_encoder="shipped")
    folder = train_denoiser(config, tmp_path / "ad", autoencoder_dir, progress=False)
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == "AnimateDiffPipeline"
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"]  # as AnimateDiff ships:
    assert index["motion_adapter"] == ["diffusers", "MotionAdapter"]  # image UNet + adapter
    shipped = data_path("tiny_model", "modelscope", "text_encoder", "model.safetensors")
    assert (folder / "text_encoder" / "model.safetensors").read_bytes() == shipped.read_bytes()
    from vstar_lite.pipeline import _dtype_kwarg

    theirs = AnimateDiffPipeline.from_pretrained(
        folder, local_files_only=True, **_dtype_kwarg(torch.float32)
    )  # fp16 on disk, float32 on the CPU as VSTARPipeline loads it
    assert isinstance(theirs.unet, UNetMotionModel)
    assert theirs.unet.config.motion_max_seq_length == 128
    ours = VSTARPipeline.from_pretrained(folder, device="cpu")
    assert_same_frames(ours, theirs)


def test_splitting_a_motion_unet_and_joining_it_again_changes_nothing():
    from diffusers import UNetMotionModel
    from vstar_lite.tiny.parts import split_motion_unet

    torch.manual_seed(0)
    unet = build_unet(layout="animatediff")
    for p in unet.parameters():
        p.data.normal_(0, 0.05)  # zero-initialised outputs would hide a missing weight
    joined = UNetMotionModel.from_unet2d(*split_motion_unet(unet))
    x, t = torch.randn(1, 8, 5, 8, 8), torch.tensor([300])
    text = torch.randn(5, 16, 64)
    with torch.no_grad():
        torch.testing.assert_close(joined(x, t, text).sample, unet(x, t, text).sample,
                                   atol=0, rtol=0)  # fmt: skip


@pytest.mark.parametrize("kwargs, message", [
    ({"text_encoder": "clip"}, "text_encoder must be one of"),
    ({"text_encoder": "shipped", "text_pretrain": 300}, "needs text_pretrain=0 and text_lr=0"),
    ({"layout": "animatediff3"}, "layout must be one of"),
])  # fmt: skip
def test_bad_denoiser_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DenoiserConfig(**kwargs)
