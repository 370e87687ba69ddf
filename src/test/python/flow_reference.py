"""Independent PyTorch (1.13) reference of uniforget's flow transformer.

Reads a model directory written by the Java code (config.json + model.safetensors +
tokenizer.json) and re-implements the architecture from its description, so the Java
forward pass can be checked against PyTorch's own layers.

  forward MODEL_DIR INPUTS.safetensors OUT.safetensors
      inputs: x (B,C,H,W), t (B), tokens (B,L) as F32 [, masks "mask.<group>"]
      outputs: text_states, pooled, double0_img/double0_txt (with double blocks), block0 (with
      single blocks), velocity, velocity_masked (if masks given)
  bench MODEL_DIR STEPS BATCH [--compile] [--sample-images N] [--mask-steps N] [--tokens F] [--skip-dead]
      times a training step (STEPS repeats at BATCH), guided sampling (N images, 3 repeats)
      and one mask-training step (N repeats) of the same model on 2 threads; prints
      'key median min max' lines. --tokens: the captions' token ids (a safetensors file with
      "tokens" (N, L)) to draw the prompts from, as the Java side does; --skip-dead: skip the
      work that cannot reach the velocity, as the Java model does (see velocity)
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_BIAS = -1e9
LN_EPS = 1e-6
DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "I64": (torch.int64, 8)}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, _ = DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=dtype) if e > b else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def layer_norm(x, weight=None, bias=None):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, LN_EPS)


def rope_tables(grid, extra, head_dim, theta):
    """cos/sin (T, hd/2) of FLUX-style 2-D rotary embedding: the first hd/4 pairs rotate by
    the patch row, the next hd/4 by its column; the `extra` tokens after the patches stay put."""
    rows = torch.arange(grid * grid) // grid
    cols = torch.arange(grid * grid) % grid
    pos = torch.stack([rows, cols], 1).double()  # (P, 2)
    pos = torch.cat([pos, torch.zeros(extra, 2, dtype=torch.float64)], 0)
    axis = head_dim // 2
    omega = 1.0 / (theta ** (torch.arange(0, axis, 2, dtype=torch.float64) / axis))  # (hd/4)
    angles = torch.cat([pos[:, :1] * omega[None], pos[:, 1:] * omega[None]], 1)  # (T, hd/2)
    return torch.cos(angles).float(), torch.sin(angles).float()


def apply_rope(x, tables):
    cos, sin = (t[: x.shape[2]] for t in tables)  # a shorter sequence: the first positions
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    x0, x1 = pairs[..., 0], pairs[..., 1]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1).reshape(x.shape)


def attend(q, k, v, key_bias, rope):
    """Scaled dot-product attention of (B, H, T, hd) tensors; returns (B, T, H, hd)."""
    if rope is not None:
        q, k = apply_rope(q, rope), apply_rope(k, rope)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + key_bias
    return (scores.softmax(-1) @ v).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def split(self, x):
        b, t, d = x.shape
        return self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)

    def project(self, out, head_mask=None):
        b, t = out.shape[:2]
        if head_mask is not None:
            out = out * head_mask.reshape(self.heads, 1)
        return self.proj(out.reshape(b, t, -1))

    def forward(self, x, key_bias, head_mask=None, rope=None):
        q, k, v = self.split(x)
        return self.project(attend(q, k, v, key_bias, rope), head_mask)


class Mlp(nn.Module):
    def __init__(self, d, width):
        super().__init__()
        self.fc1 = nn.Linear(d, width)
        self.fc2 = nn.Linear(width, d)

    def forward(self, x, mask=None):
        h = F.gelu(self.fc1(x))
        if mask is not None:
            h = h * mask
        return self.fc2(h)


class TextLayer(nn.Module):
    def __init__(self, d, heads, width):
        super().__init__()
        self.ln1 = nn.LayerNorm(d, eps=LN_EPS)
        self.attn = Attention(d, heads)
        self.ln2 = nn.LayerNorm(d, eps=LN_EPS)
        self.ffn = Mlp(d, width)

    def forward(self, x, key_bias):
        x = x + self.attn(self.ln1(x), key_bias)
        return x + self.ffn(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.tok_emb = nn.Parameter(torch.zeros(c["vocab_size"], d))
        self.pos_emb = nn.Parameter(torch.zeros(c["max_tokens"], d))
        self.layers = nn.ModuleList(
            TextLayer(d, c["text_heads"], c["text_ffn_width"]) for _ in range(c["text_layers"]))
        self.ln_final = nn.LayerNorm(d, eps=LN_EPS)

    def forward(self, tokens):
        not_pad = (tokens != 0).float()
        key_bias = ((1 - not_pad) * PAD_BIAS)[:, None, None, :]
        x = self.tok_emb[tokens] + self.pos_emb[: tokens.shape[1]]
        for layer in self.layers:
            x = layer(x, key_bias)
        x = self.ln_final(x)
        count = not_pad.sum(1, keepdim=True)
        pooled = (x * not_pad[..., None]).sum(1) / count.clamp(min=1) * (count > 0).float()
        return x, pooled, not_pad


class Path(nn.Module):
    """Modulation, attention projections and MLP of a single block or of one stream of a
    double block; `name` is its weight prefix and unit-group prefix (blocks.3, double.1.img)."""

    def __init__(self, name, d, heads, width):
        super().__init__()
        self.name = name
        self.mod = nn.Linear(d, 6 * d)
        self.attn = Attention(d, heads)
        self.ffn = Mlp(d, width) if width > 0 else None
        if width == 0:  # all hidden units pruned: the MLP outputs its fc2 bias
            self.ffn_fc2_bias = nn.Parameter(torch.zeros(d))

    def modulation(self, cond_act, masks):
        mod = self.mod(cond_act)
        if masks.get(f"{self.name}.mod") is not None:
            mod = mod * masks[f"{self.name}.mod"]
        return mod[:, None, :].chunk(6, dim=2)

    def attn_residual(self, x, attn_out, mods, masks):
        return x + mods[2] * self.attn.project(attn_out, masks.get(f"{self.name}.attn"))

    def mlp_residual(self, x, mods, masks):
        if self.ffn is None:
            return x + mods[5] * self.ffn_fc2_bias
        h = layer_norm(x) * (1 + mods[4]) + mods[3]
        return x + mods[5] * self.ffn(h, masks.get(f"{self.name}.ffn"))


class Block(Path):
    def forward(self, x, cond_act, key_bias, masks, rope, image_rows=None):
        """With image_rows, only the first image_rows tokens query and are returned (the rest
        give keys and values): what the final layer reads of the last block."""
        mods = self.modulation(cond_act, masks)
        q, k, v = self.attn.split(layer_norm(x) * (1 + mods[1]) + mods[0])
        if image_rows is not None:
            q, x = q[:, :, :image_rows], x[:, :image_rows]
        x = self.attn_residual(x, attend(q, k, v, key_bias, rope), mods, masks)
        return self.mlp_residual(x, mods, masks)


class DoubleBlock(nn.Module):
    """FLUX double-stream block: image and text keep their own weights and meet in one
    attention over [image; text]."""

    def __init__(self, i, d, heads, img_width, txt_width):
        super().__init__()
        self.img = Path(f"double.{i}.img", d, heads, img_width)
        self.txt = Path(f"double.{i}.txt", d, heads, txt_width)

    def forward(self, img, txt, cond_act, key_bias, masks, rope):
        mi, mt = self.img.modulation(cond_act, masks), self.txt.modulation(cond_act, masks)
        qi, ki, vi = self.img.attn.split(layer_norm(img) * (1 + mi[1]) + mi[0])
        qt, kt, vt = self.txt.attn.split(layer_norm(txt) * (1 + mt[1]) + mt[0])
        out = attend(torch.cat([qi, qt], 2), torch.cat([ki, kt], 2), torch.cat([vi, vt], 2), key_bias, rope)
        p = img.shape[1]
        img = self.img.mlp_residual(self.img.attn_residual(img, out[:, :p], mi, masks), mi, masks)
        txt = self.txt.mlp_residual(self.txt.attn_residual(txt, out[:, p:], mt, masks), mt, masks)
        return img, txt


class FinalLayer(nn.Module):
    def __init__(self, d, patch_dim):
        super().__init__()
        self.mod = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, patch_dim)


class FlowTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c["hidden_size"]
        p = c["patch_size"]
        self.grid = c["image_size"] // p
        self.patch_dim = c["channels"] * p * p
        self.text = TextEncoder(c)
        self.txt_in = nn.Linear(d, d)
        self.pooled_in = nn.Linear(d, d)
        self.img_in = nn.Linear(self.patch_dim, d)
        self.rope = None
        if c.get("rope", False):
            self.rope = rope_tables(self.grid, c["max_tokens"], d // c["num_heads"], c.get("rope_theta", 10000.0))
        else:
            self.img_pos = nn.Parameter(torch.zeros(self.grid * self.grid, d))
        self.time_in = nn.Module()
        self.time_in.fc1 = nn.Linear(c["time_freq_dim"], d)
        self.time_in.fc2 = nn.Linear(d, d)
        self.doubles = nn.ModuleList(  # "double" is taken by nn.Module.double(); weights say double.{i}
            DoubleBlock(i, d, c["num_heads"], wi, wt)
            for i, (wi, wt) in enumerate(zip(c.get("double_img_ffn_widths", []), c.get("double_txt_ffn_widths", []))))
        self.blocks = nn.ModuleList(Block(f"blocks.{i}", d, c["num_heads"], w) for i, w in enumerate(c["ffn_widths"]))
        self.final = FinalLayer(d, self.patch_dim)

    def patchify(self, x):
        b, ch, p, g = x.shape[0], self.c["channels"], self.c["patch_size"], self.grid
        return x.reshape(b, ch, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g, ch * p * p)

    def unpatchify(self, t):
        b, ch, p, g = t.shape[0], self.c["channels"], self.c["patch_size"], self.grid
        return t.reshape(b, g, g, ch, p, p).permute(0, 3, 1, 4, 2, 5).reshape(b, ch, g * p, g * p)

    def timestep_features(self, t):
        half = self.c["time_freq_dim"] // 2
        k = torch.arange(half, dtype=torch.float64)
        args = t.double()[:, None] * 1000.0 * torch.exp(-math.log(10000.0) * k / half)[None]
        return torch.cat([torch.cos(args), torch.sin(args)], dim=1).float()

    def encode_text(self, tokens):
        states, pooled, not_pad = self.text(tokens)
        img_bias = torch.zeros(tokens.shape[0], self.grid * self.grid)
        key_bias = torch.cat([img_bias, (1 - not_pad) * PAD_BIAS], dim=1)[:, None, None, :]
        return self.txt_in(states), key_bias, self.pooled_in(pooled)

    def forward(self, x, t, tokens, masks=None, trace=None, skip_dead=False):
        return self.velocity(x, t, self.encode_text(tokens), masks, trace, skip_dead)

    def velocity(self, x, t, encoded, masks=None, trace=None, skip_dead=False):
        """The velocity for images x (B,C,H,W) at times t (B) given encode_text's output.
        skip_dead: the same velocity without the work that cannot reach it (the text columns that
        are padding in every row, the text rows of the last block), as the Java model runs it."""
        masks = masks or {}
        if skip_dead:
            encoded = without_trailing_padding(encoded)
        txt, key_bias, pooled = encoded
        if trace is not None:
            trace["text_states"], trace["pooled"] = txt, pooled
        img = self.img_in(self.patchify(x))
        if self.rope is None:
            img = img + self.img_pos
        cond = self.time_in.fc2(F.silu(self.time_in.fc1(self.timestep_features(t)))) + pooled
        cond_act = F.silu(cond)
        for i, block in enumerate(self.doubles):
            img, txt = block(img, txt, cond_act, key_bias, masks, self.rope)
            if trace is not None and i == 0:
                trace["double0_img"], trace["double0_txt"] = img, txt
        seq = torch.cat([img, txt], dim=1)
        for i, block in enumerate(self.blocks):
            last = skip_dead and i == len(self.blocks) - 1
            seq = block(seq, cond_act, key_bias, masks, self.rope, self.grid * self.grid if last else None)
            if trace is not None and i == 0:
                trace["block0"] = seq
        mod = self.final.mod(cond_act)
        if masks.get("final.mod") is not None:
            mod = mod * masks["final.mod"]
        shift, scale = mod[:, None, :].chunk(2, dim=2)
        h = layer_norm(seq[:, : self.grid * self.grid]) * (1 + scale) + shift
        return self.unpatchify(self.final.out(h))


def without_trailing_padding(encoded):
    """encode_text's output without the text columns that are padding in every row (one stays)."""
    txt, key_bias, pooled = encoded
    first = key_bias.shape[-1] - txt.shape[1]
    real = (key_bias[:, 0, 0, first:] > PAD_BIAS / 2).any(0).nonzero()
    keep = max(1, int(real[-1]) + 1) if len(real) else 1
    return txt[:, :keep], key_bias[..., : first + keep], pooled


def load(model_dir):
    with open(f"{model_dir}/config.json") as f:
        config = json.load(f)
    model = FlowTransformer(config)
    weights = read_safetensors(f"{model_dir}/model.safetensors")
    for name in list(weights):  # a fully pruned MLP keeps only its output bias
        if name.endswith(".ffn.fc2.bias") and name.replace("fc2.bias", "fc1.weight") not in weights:
            weights[name.replace(".ffn.fc2.bias", ".ffn_fc2_bias")] = weights.pop(name)
    weights = {("doubles." + k[len("double."):] if k.startswith("double.") else k): v for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise SystemExit(f"weights do not match the reference: missing {missing}, unexpected {unexpected}")
    return model, config


def forward(model_dir, inputs_path, out_path):
    torch.set_num_threads(2)
    model, _ = load(model_dir)
    inputs = read_safetensors(inputs_path)
    tokens = inputs["tokens"].long()
    masks = {k[len("mask."):]: v for k, v in inputs.items() if k.startswith("mask.")}
    trace = {}
    with torch.no_grad():
        outputs = {"velocity": model(inputs["x"], inputs["t"], tokens, trace=trace)}
        outputs.update(trace)
        if masks:
            outputs["velocity_masked"] = model(inputs["x"], inputs["t"], tokens, masks=masks)
    write_safetensors(out_path, outputs)


def unit_groups(c):
    """The prunable groups (name, size) without heads, in the Java registry's order."""
    d, out = c["hidden_size"], []
    paths = []
    for i, (wi, wt) in enumerate(zip(c.get("double_img_ffn_widths", []), c.get("double_txt_ffn_widths", []))):
        paths += [(f"double.{i}.img", wi), (f"double.{i}.txt", wt)]
    paths += [(f"blocks.{i}", w) for i, w in enumerate(c["ffn_widths"])]
    for name, width in paths:
        if width > 0:
            out.append((f"{name}.ffn", width))
        out.append((f"{name}.mod", 6 * d))
    return out + [("final.mod", 2 * d)]


def hard_concrete(logit, u, temperature=0.83, gamma=-0.1, zeta=1.1):
    s = torch.sigmoid((torch.log(u) - torch.log(1 - u) + logit) / temperature)
    return (s * (zeta - gamma) + gamma).clamp(0, 1)


def euler_step(model, x, k, n, encoded, guidance, masks, skip_dead=False):
    """One guided Euler step from grid point k to k+1 (t = 1 - k/n), batch [cond; uncond]."""
    t, dt = 1 - k / n, 1 / n
    b = x.shape[0]
    v = model.velocity(torch.cat([x, x]), torch.full((2 * b,), t), encoded, masks, skip_dead=skip_dead)
    vc, vu = v[:b], v[b:]
    return x - dt * (vu + guidance * (vc - vu))


def timed(fn, repeats, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], times[0], times[-1]


def bench(model_dir, steps, batch, sample_images=256, sample_batch=64, mask_steps=5, mask_batch=16, compile_too=False,
          tokens_path=None, skip_dead=False):
    """Times, on this PyTorch and 2 threads, what `uniforget bench` times in Java on the same
    model directory: a training step (batch `batch`, AdamW, then the weights' EMA), guided sampling (10 Euler steps,
    guidance 3, batches of `sample_batch`) and one UniForget mask-training step (batch
    `mask_batch`, backprop through the whole sampler with step-wise recomputation). Prints
    'key median min max' lines; with compile_too also the training step under torch.compile.
    The prompts are rows of tokens_path's "tokens" (the Java side's captions: training draws rows
    at random and drops 10% to the empty prompt, sampling cycles through them, the mask step
    takes the first mask_batch); without it, random token ids. skip_dead: the Java model's
    skipping of the work that cannot reach the velocity (checked once against the full velocity).
    Threads: $OMP_NUM_THREADS (the Java side's count), else 2."""
    import os
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    torch.manual_seed(0)
    model, c = load(model_dir)
    s, ch, l = c["image_size"], c["channels"], c["max_tokens"]
    print(f"pytorch {torch.__version__} threads {torch.get_num_threads()}", flush=True)
    captions = read_safetensors(tokens_path)["tokens"].long() if tokens_path else None

    def prompt_tokens(b, first=0):
        """b rows of caption tokens (cycling from row `first`), or random words without padding."""
        if captions is None:
            return torch.randint(2, c["vocab_size"], (b, l))
        return captions[torch.arange(first, first + b) % captions.shape[0]]

    def training_tokens():
        if captions is None:
            return torch.randint(0, c["vocab_size"], (batch, l))
        rows = captions[torch.randint(0, captions.shape[0], (batch,))]
        return rows * (torch.rand(batch, 1) >= 0.1)  # the Java trainer's 10% caption dropout

    def velocity(m, x, t, tokens):
        return m(x, t, tokens, skip_dead=skip_dead)  # through forward: what torch.compile compiles

    if skip_dead:  # the skipping changes the work, not the velocity
        with torch.no_grad():
            x, t, tok = torch.randn(4, ch, s, s), torch.rand(4), prompt_tokens(4)
            full = model(x, t, tok)
            print(f"skip_dead_max_abs_diff {(velocity(model, x, t, tok) - full).abs().max().item():.3g}", flush=True)

    # The Java trainer keeps an EMA of the weights (decay 0.995) after every update; so does this step.
    ema = [p.detach().clone() for p in model.parameters()]

    def train_step_fn(m, opt):
        def step():
            x0 = torch.rand(batch, ch, s, s) * 2 - 1
            e = torch.randn_like(x0)
            t = torch.sigmoid(torch.randn(batch))
            tt = t[:, None, None, None]
            loss = F.mse_loss(velocity(m, (1 - tt) * x0 + tt * e, t, training_tokens()), e - x0)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                for e, p in zip(ema, model.parameters()):
                    e.lerp_(p, 1 - 0.995)
        return step

    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    med, lo, hi = timed(train_step_fn(model, opt), steps, 3)
    print(f"train_step_ms {1000 * med:.2f} {1000 * lo:.2f} {1000 * hi:.2f}", flush=True)
    if compile_too:
        if not hasattr(torch, "compile"):
            print("compile_train_step_ms n/a (this PyTorch has no torch.compile)", flush=True)
        else:
            try:
                compiled = torch.compile(model)
                start = time.perf_counter()
                step = train_step_fn(compiled, opt)
                step()  # compiles
                print(f"compile_seconds {time.perf_counter() - start:.1f}", flush=True)
                med, lo, hi = timed(step, steps, 2)
                print(f"compile_train_step_ms {1000 * med:.2f} {1000 * lo:.2f} {1000 * hi:.2f}", flush=True)
            except Exception as ex:  # report, do not hide: the line says why
                print(f"compile_train_step_ms n/a ({type(ex).__name__}: {str(ex).splitlines()[0][:200]})", flush=True)

    for p in model.parameters():
        p.requires_grad_(False)
    n, guidance = c["sampler"]["steps"], c["sampler"]["guidance"]

    def encode(b, first=0):
        tokens = prompt_tokens(b, first)
        return model.encode_text(torch.cat([tokens, torch.zeros_like(tokens)]))

    def sample_all():
        with torch.no_grad():
            for first in range(0, sample_images, sample_batch):
                b = min(sample_batch, sample_images - first)
                enc = encode(b, first)
                x = torch.randn(b, ch, s, s)
                for k in range(n):
                    x = euler_step(model, x, k, n, enc, guidance, None, skip_dead)

    med, lo, hi = timed(sample_all, 3, 1)
    print(f"sample_images_per_s {sample_images / med:.2f} {sample_images / hi:.2f} {sample_images / lo:.2f}", flush=True)

    groups = unit_groups(c)
    logits = {g: torch.full((size,), 3.0, requires_grad=True) for g, size in groups}
    mask_opt = torch.optim.AdamW(list(logits.values()), lr=0.5, weight_decay=0.01)
    with torch.no_grad():
        target = torch.rand(mask_batch, ch, s, s) * 2 - 1

    def mask_step():
        u = {g: torch.rand(size).clamp(1e-6, 1 - 1e-6) for g, size in groups}
        with torch.no_grad():
            enc = encode(mask_batch)
            latents = [torch.randn(mask_batch, ch, s, s)]
            masks = {g: hard_concrete(logits[g], u[g]) for g, _ in groups}
            for k in range(n):
                latents.append(euler_step(model, latents[k], k, n, enc, guidance, masks, skip_dead))
            diff = latents[n] - target
            g = 2 * diff / diff.numel()
        for k in range(n - 1, -1, -1):
            x = latents[k].detach().requires_grad_(True)
            masks = {gr: hard_concrete(logits[gr], u[gr]) for gr, _ in groups}
            nxt = euler_step(model, x, k, n, enc, guidance, masks, skip_dead)
            (nxt * g).sum().backward()
            g = x.grad
        reg = torch.cat([torch.sigmoid(0.4 * logits[gr] + 1) for gr, _ in groups]).mean()
        (0.1 * reg).backward()
        mask_opt.step()
        mask_opt.zero_grad(set_to_none=True)

    med, lo, hi = timed(mask_step, mask_steps, 1)
    print(f"mask_step_ms {1000 * med:.2f} {1000 * lo:.2f} {1000 * hi:.2f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "forward":
        forward(*sys.argv[2:5])
    elif sys.argv[1] == "bench":
        rest = sys.argv[5:]

        def flag(name, default):
            return int(rest[rest.index(name) + 1]) if name in rest else default

        bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sample_images=flag("--sample-images", 256),
              mask_steps=flag("--mask-steps", 5), compile_too="--compile" in rest,
              tokens_path=rest[rest.index("--tokens") + 1] if "--tokens" in rest else None, skip_dead="--skip-dead" in rest)
    else:
        raise SystemExit(__doc__)
