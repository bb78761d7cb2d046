"""RNNs over padded batches with the padding excluded, and length masks; torch loads inside (batching re-exports)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import torch


def run_rnn(rnn, inputs: "torch.Tensor", lengths, hidden=None, *, need_hidden: bool = True,
            packed: bool | None = None, executor=None):
    """``(outputs, final_hidden)`` of an ``nn.GRU``/``LSTM``/``RNN`` over a padded batch in any order of lengths,
    in the caller's order, zero beyond each length; ``packed`` picks the way, ``executor`` a second core."""
    import torch

    lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
    time_dim = 1 if rnn.batch_first else 0
    if executor is not None and rnn.bidirectional and hidden is None and not torch.is_grad_enabled():
        return _run_grouped(rnn, inputs, lengths, need_hidden, executor=executor)
    if int(lengths.min()) == inputs.shape[time_dim]:
        return rnn(inputs, hidden)  # no padding (common in bucketed batches)
    # Packed, or each direction over the padded batch with sequences reversed within their length (the
    # same numbers). The padded way uses oneDNN's fused kernels and skips the packed backward pass, whose
    # CPU cost grows with length x tokens; an LSTM's final cell state needs packing. At inference packing
    # wins in float32; in bfloat16 the padded way in groups of similar length wins.
    if packed is None:
        inference_fp = not torch.is_grad_enabled() and inputs.dtype != torch.bfloat16
        packed = (hidden is not None or getattr(rnn, "proj_size", 0) > 0 or inference_fp
                  or (isinstance(rnn, torch.nn.LSTM) and need_hidden))
    if packed:
        return _run_packed(rnn, inputs, lengths, hidden)
    if not torch.is_grad_enabled():
        return _run_grouped(rnn, inputs, lengths, need_hidden)
    return _run_reversed(rnn, inputs, lengths, need_hidden)


def length_groups(lengths: Sequence[int], slack: float = 1.2) -> list[list[int]]:
    """Indices in groups of similar length, longest first, each padded to at most ``slack`` x its real tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    tokens = 0
    for i in order:
        if groups and (len(groups[-1]) + 1) * lengths[groups[-1][0]] <= slack * (tokens + lengths[i]):
            groups[-1].append(i)
            tokens += lengths[i]
        else:
            groups.append([i])
            tokens = lengths[i]
    return groups


def _run_grouped(rnn, inputs, lengths, need_hidden: bool, slack: float = 1.2, executor=None):
    """Inference over the padded batch in groups of similar length, so padding costs at most ``slack`` - 1."""
    import torch

    lens = lengths.tolist()
    groups = length_groups(lens, slack)
    if len(groups) == 1:
        return _run_reversed(rnn, inputs, lengths, need_hidden, executor)
    x = inputs if rnn.batch_first else inputs.transpose(0, 1)  # (B, T, dim)
    B, T, _ = x.shape
    dirs = 2 if rnn.bidirectional else 1
    out = x.new_zeros(B, T, dirs * rnn.hidden_size)
    h = x.new_zeros(rnn.num_layers * dirs, B, rnn.hidden_size) if need_hidden else None
    for group in groups:
        idx = torch.tensor(group, device=x.device)
        width = lens[group[0]]
        sub = x[:, :width].index_select(0, idx)  # contiguous: no copy when the rows are reversed
        o, hg = _run_reversed(rnn, sub if rnn.batch_first else sub.transpose(0, 1), lengths[group], need_hidden,
                              executor)
        out[idx, :width] = o if rnn.batch_first else o.transpose(0, 1)
        if need_hidden:
            h[:, idx] = hg
    return (out if rnn.batch_first else out.transpose(0, 1)), h


def _run_packed(rnn, inputs, lengths, hidden):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    packed = pack_padded_sequence(inputs, lengths, batch_first=rnn.batch_first, enforce_sorted=False)
    out, h = rnn(packed, hidden)
    out, _ = pad_packed_sequence(out, batch_first=rnn.batch_first,
                                 total_length=inputs.shape[1 if rnn.batch_first else 0])
    return out, h  # final states are unsorted by the RNN itself (PackedSequence.unsorted_indices)


def _run_reversed(rnn, inputs, lengths, need_hidden: bool, executor=None):
    """Layer by layer, direction by direction, over the padded batch; a backward direction on ``executor``."""
    import torch
    import torch.nn.functional as F

    x = inputs if rnn.batch_first else inputs.transpose(0, 1)  # (B, T, dim)
    B, T, _ = x.shape
    dev_lengths = lengths.to(x.device)
    pos = torch.arange(T, device=x.device).unsqueeze(0).expand(B, T)
    rev = dev_lengths.unsqueeze(1) - 1 - pos
    rev = torch.where(rev >= 0, rev, pos)  # reverse within each length; padding stays put
    # Rows of the (B*T, dim) view: index_select is many times faster than gather with an
    # expanded index (and its backward a plain index_add), in float32 and bfloat16 alike.
    row0 = torch.arange(B, device=x.device).unsqueeze(1) * T
    rev_rows = (rev + row0).reshape(-1)
    last_rows = (dev_lengths - 1).clamp(min=0) + row0.squeeze(1)
    valid = (pos < dev_lengths.unsqueeze(1)).unsqueeze(2)  # (B, T, 1)

    def rows(t, index):  # t (B, T, dim) -> t.reshape(B*T, dim)[index]
        return t.reshape(B * T, t.shape[2]).index_select(0, index)
    op = {torch.nn.LSTM: torch.lstm, torch.nn.GRU: torch.gru}.get(type(rnn))
    if op is None and isinstance(rnn, torch.nn.RNN):
        op = torch.rnn_tanh if rnn.nonlinearity == "tanh" else torch.rnn_relu
    if op is None:
        raise TypeError(f"run_rnn supports nn.LSTM, nn.GRU and nn.RNN, not {type(rnn).__name__}")
    is_lstm = isinstance(rnn, torch.nn.LSTM)
    dirs = 2 if rnn.bidirectional else 1
    finals = []
    layer_in = x
    for layer in range(rnn.num_layers):
        if layer and rnn.dropout and rnn.training:
            layer_in = F.dropout(layer_in, rnn.dropout, True)

        def direction(d: int, layer: int = layer, layer_in=layer_in):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            params = [getattr(rnn, f"weight_ih{sfx}"), getattr(rnn, f"weight_hh{sfx}")]
            if rnn.bias:
                params += [getattr(rnn, f"bias_ih{sfx}"), getattr(rnn, f"bias_hh{sfx}")]
            inp = layer_in if d == 0 else rows(layer_in, rev_rows).view(B, T, -1)
            h0 = inp.new_zeros(1, B, rnn.hidden_size)
            if is_lstm:
                out, _, _ = op(inp, (h0, h0), params, rnn.bias, 1, 0.0, rnn.training, False, True)
            else:
                out, _ = op(inp, h0, params, rnn.bias, 1, 0.0, rnn.training, False, True)
            final = rows(out, last_rows) if need_hidden else None  # the state after each sequence's last step
            return (rows(out, rev_rows).view(B, T, -1) if d else out), final

        if executor is not None and dirs == 2:  # two cores for one batch (with torch.set_num_threads(1))
            backward = executor.submit(_without_grad, direction, 1, torch.is_inference_mode_enabled())
            done = [direction(0), backward.result()]
        else:
            done = [direction(d) for d in range(dirs)]
        finals.extend(f for _, f in done if f is not None)
        layer_in = torch.cat([o for o, _ in done], 2) if dirs == 2 else done[0][0]
    out = layer_in * valid  # zero beyond each length, as pad_packed_sequence gives
    if not rnn.batch_first:
        out = out.transpose(0, 1)
    h = torch.stack(finals) if need_hidden else None  # (layers * dirs, B, H), nn.GRU's order
    return out, h


def _without_grad(fn, arg, inference_mode: bool):
    """``fn(arg)`` on an executor's thread, in the caller's (thread-local) no-grad or inference mode."""
    import torch

    with torch.inference_mode() if inference_mode else torch.no_grad():
        return fn(arg)


def lengths_to_mask(lengths, max_len: int | None = None, batch_first: bool = True) -> "torch.Tensor":
    """Bool mask, True at real positions: ``[batch, max_len]`` (transposed if not batch_first)."""
    import torch

    lengths = torch.as_tensor(lengths, dtype=torch.long)
    n = int(lengths.max()) if max_len is None else max_len
    mask = torch.arange(n, device=lengths.device)[None, :] < lengths[:, None]
    return mask if batch_first else mask.t()


__all__ = ["run_rnn", "length_groups", "lengths_to_mask"]
