"""labkit.decoding is proven equal to transformers: same tokens as model.generate, same scores as its warpers."""
import pytest
import torch
from transformers import (AutoModelForCausalLM, AutoTokenizer, GPT2Config, LlamaConfig, LogitsProcessor,
                          MinPLogitsWarper, Qwen2Config, RepetitionPenaltyLogitsProcessor, StoppingCriteria,
                          TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)
from transformers.utils import logging

from labkit import checkpoint
from labkit import decoding as dec

logging.set_verbosity_error()
VOCAB = 96


def tiny(config):
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config).eval()


TINY = {
    "gpt2": lambda: tiny(GPT2Config(vocab_size=VOCAB, n_positions=64, n_embd=32, n_layer=2, n_head=4)),
    "llama": lambda: tiny(LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)),
    "qwen2": lambda: tiny(Qwen2Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)),
}


def tiny_prompts(seed=1):
    """Two prompts: one on its own, and a left-padded batch of three with an attention mask."""
    g = torch.Generator().manual_seed(seed)
    single = (torch.randint(3, VOCAB, (1, 5), generator=g), None)
    lengths = [6, 3, 4]
    ids = torch.zeros(3, 6, dtype=torch.long)
    mask = torch.zeros(3, 6, dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, 6 - n:] = torch.randint(3, VOCAB, (n,), generator=g)
        mask[row, 6 - n:] = 1
    return [single, (ids, mask)]


@pytest.fixture(scope="module", params=sorted(TINY))
def tiny_case(request):
    return request.param, TINY[request.param](), tiny_prompts()


@pytest.fixture(scope="module")
def smol(prepared):
    path = checkpoint("causal-lm")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    tok.padding_side = "left"
    batch = tok(["Once upon a time", "The three primary colours are", "Hi"], return_tensors="pt", padding=True)
    single = tok("Tokenizers turn text into", return_tensors="pt")
    prompts = [(single.input_ids, None), (batch.input_ids, batch.attention_mask)]
    return tok, model, prompts


def both(model, ids, mask, seed=None, **settings):
    """(ours, the library's) for the same prompt and settings, each from the same random seed."""
    results = []
    for run in (lambda: dec.generate(model, ids, mask, **settings),
                lambda: model.generate(ids, attention_mask=mask, **settings)):
        if seed is not None:
            torch.manual_seed(seed)
        with torch.no_grad():
            results.append(run())
    return results


# ---------------------------------------------------------------- generate() equals model.generate()

SAMPLING = [dict(temperature=0.7, top_k=20, top_p=1.0, repetition_penalty=1.0),
            dict(temperature=1.3, top_k=0, top_p=0.9, repetition_penalty=1.0),
            dict(temperature=1.0, top_k=10, top_p=0.8, repetition_penalty=1.3),
            dict(temperature=0.9, top_k=0, top_p=1.0, repetition_penalty=1.1, min_p=0.05)]


def test_greedy_equals_generate_on_tiny_models(tiny_case):
    name, model, prompts = tiny_case
    for ids, mask in prompts:
        for use_cache in (True, False):
            ours, theirs = both(model, ids, mask, max_new_tokens=8, do_sample=False, use_cache=use_cache,
                                pad_token_id=0)
            assert torch.equal(ours, theirs), (name, use_cache)


def test_sampling_equals_generate_under_the_same_seed(tiny_case):
    name, model, prompts = tiny_case
    for ids, mask in prompts:
        for k, settings in enumerate(SAMPLING):
            ours, theirs = both(model, ids, mask, seed=k, max_new_tokens=8, do_sample=True, pad_token_id=0,
                                num_return_sequences=2, **settings)
            assert ours.shape[0] == 2 * ids.shape[0]
            assert torch.equal(ours, theirs), (name, settings)


@pytest.mark.parametrize("num_beams", [2, 4])
def test_beam_search_equals_generate(tiny_case, num_beams):
    name, model, prompts = tiny_case
    for ids, mask in prompts:
        greedy = dec.generate(model, ids, mask, max_new_tokens=6)
        eos = int(greedy[0, ids.shape[1] + 2])  # a token the model is likely to produce: beams really finish
        for settings in (dict(length_penalty=1.0), dict(length_penalty=0.5, early_stopping=True)):
            ours, theirs = both(model, ids, mask, max_new_tokens=7, num_beams=num_beams,
                                num_return_sequences=2, eos_token_id=eos, pad_token_id=0, do_sample=False,
                                **settings)
            assert torch.equal(ours, theirs), (name, num_beams, settings)


def test_several_eos_ids_stop_rows_and_pad_them(tiny_case):
    name, model, prompts = tiny_case
    ids, mask = prompts[1]
    free = dec.generate(model, ids, mask, max_new_tokens=10)
    eos = sorted({int(free[0, 7]), int(free[1, 8])})
    ours, theirs = both(model, ids, mask, max_new_tokens=10, eos_token_id=eos, pad_token_id=0)
    assert torch.equal(ours, theirs)
    assert ours.shape[1] <= free.shape[1]


def padded_with_the_favourite(model):
    """A left-padded batch whose pad token is a padded row's most likely next token and occurs in that row only
    as padding. Padding is masked out, so the pad token's id does not change the model's outputs."""
    for seed in range(100):
        ids, mask = tiny_prompts(seed)[1]
        favourite = int(dec.generate(model, ids, mask, max_new_tokens=1, eos_token_id=[])[1, -1])
        if favourite not in ids[1][mask[1] == 1].tolist():
            return ids.masked_fill(mask == 0, favourite), mask, favourite
    raise AssertionError("no prompt found whose favourite next token is not already in it")


def test_repetition_penalty_leaves_left_padding_out(tiny_case):
    """generate() penalises only real tokens. Make the pad token the padded rows' favourite next token: counting
    the padding as seen (the old behaviour) would penalise it and change the greedy continuation."""
    name, model, _ = tiny_case
    ids, mask, favourite = padded_with_the_favourite(model)
    settings = dict(max_new_tokens=6, repetition_penalty=5.0, pad_token_id=favourite, eos_token_id=[])
    ours, theirs = both(model, ids, mask, **settings)
    assert torch.equal(ours, theirs), name
    assert int(ours[1, ids.shape[1]]) == favourite  # the padding did not count against it
    counted = dec.generate(model, ids, mask, logits_processors=[dec.RepetitionPenalty(5.0)], **settings)
    assert int(counted[1, ids.shape[1]]) != favourite  # what counting the padding would have done


def test_repetition_penalty_ignores_padding_in_beams_and_samples(tiny_case):
    name, model, _ = tiny_case
    ids, mask, _ = padded_with_the_favourite(model)
    for settings in (dict(num_beams=3, num_return_sequences=2),
                     dict(do_sample=True, top_k=10, num_return_sequences=2)):
        ours, theirs = both(model, ids, mask, seed=0, max_new_tokens=5, repetition_penalty=3.0, pad_token_id=0,
                            **settings)
        assert torch.equal(ours, theirs), (name, settings)


def test_the_kit_pieces_are_transformers_objects_that_generate_accepts(tiny_case):
    """Passed to model.generate(), the kit's processors and criteria give the tokens of the built-in settings."""
    name, model, prompts = tiny_case
    ids, mask = prompts[1]
    assert all(isinstance(p, LogitsProcessor) for p in dec.build_processors(
        do_sample=True, temperature=0.7, top_k=5, top_p=0.9, min_p=0.1, repetition_penalty=1.2))
    assert all(isinstance(c, StoppingCriteria) for c in (dec.MaxLength(5), dec.EosToken(3)))
    torch.manual_seed(4)
    builtin = model.generate(ids, attention_mask=mask, do_sample=True, temperature=0.7, top_k=5, top_p=0.9,
                             max_new_tokens=8, pad_token_id=0)
    torch.manual_seed(4)
    kit = model.generate(ids, attention_mask=mask, do_sample=True, top_k=0, max_new_tokens=8, pad_token_id=0,
                         logits_processor=[dec.Temperature(0.7), dec.TopK(5), dec.TopP(0.9)])
    assert torch.equal(kit, builtin), name
    free = model.generate(ids, attention_mask=mask, max_new_tokens=8, pad_token_id=0)
    stop = int(free[0, ids.shape[1] + 2])
    builtin = model.generate(ids, attention_mask=mask, max_new_tokens=8, pad_token_id=0, eos_token_id=stop)
    kit = model.generate(ids, attention_mask=mask, max_new_tokens=8, pad_token_id=0, eos_token_id=None,
                         stopping_criteria=[dec.EosToken(stop)])
    assert torch.equal(kit[:, :builtin.shape[1]], builtin) and kit.shape[1] == builtin.shape[1], name


def test_the_kit_pieces_have_readable_reprs():
    assert repr(dec.TopK(50)) == "TopK(top_k=50, min_tokens_to_keep=1, filter_value=-inf)"
    assert repr(dec.Temperature(0.7)) == "Temperature(temperature=0.7)"
    assert repr(dec.RepetitionPenalty(1.2)) == "RepetitionPenalty(penalty=1.2, prompt_ignore_length=None)"
    assert repr(dec.EosToken([2, 3])) == "EosToken(eos_token_id=[2, 3])"
    assert repr(dec.MaxLength(20)) == "MaxLength(max_length=20)"


def test_smollm2_greedy_sampling_and_beams_equal_generate(smol):
    tok, model, prompts = smol
    eos, pad = tok.eos_token_id, tok.pad_token_id
    for ids, mask in prompts:
        ours, theirs = both(model, ids, mask, max_new_tokens=10, eos_token_id=eos, pad_token_id=pad)
        assert torch.equal(ours, theirs)
        ours, theirs = both(model, ids, mask, seed=3, max_new_tokens=10, do_sample=True, temperature=0.8,
                            top_k=40, top_p=0.95, repetition_penalty=1.2, eos_token_id=eos, pad_token_id=pad)
        assert torch.equal(ours, theirs)
    ids, mask = prompts[0]
    for beams in (2, 4):
        ours, theirs = both(model, ids, mask, max_new_tokens=8, num_beams=beams, eos_token_id=eos,
                            pad_token_id=pad)
        assert torch.equal(ours, theirs)


def test_the_known_greedy_continuation(smol):
    tok, model, _ = smol
    ids = tok("Once upon a time", return_tensors="pt").input_ids
    text = tok.decode(dec.generate(model, ids, max_new_tokens=12)[0, ids.shape[1]:])
    assert text == ", the city of Nova Haven was a thriving metropolis, with"


def test_kv_cache_and_no_cache_agree(smol):
    tok, model, prompts = smol
    ids, mask = prompts[1]
    with_cache = dec.generate(model, ids, mask, max_new_tokens=6, use_cache=True)
    without = dec.generate(model, ids, mask, max_new_tokens=6, use_cache=False)
    assert torch.equal(with_cache, without)


def test_stop_strings_end_generation(smol):
    tok, model, _ = smol
    ids = tok("List three colours, one per line:\n1.", return_tensors="pt").input_ids
    stop = dec.StopStrings(tok, ["\n"], prompt_length=ids.shape[1])
    out = dec.generate(model, ids, max_new_tokens=30, stopping_criteria=[stop])
    new_text = tok.decode(out[0, ids.shape[1]:])
    assert new_text.endswith("\n") and "\n" not in new_text[:-1]
    assert out.shape[1] - ids.shape[1] < 30


# ---------------------------------------------------------------- processors equal the library's

def random_logits(seed=0, shape=(4, 50)):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * 3


def tied_logits():
    return torch.tensor([[2.0, 2.0, 2.0, 1.0, 1.0, 0.0, -1.0, -1.0]])


PAIRS = [
    (lambda: dec.Temperature(0.5), lambda: TemperatureLogitsWarper(0.5)),
    (lambda: dec.Temperature(2.0), lambda: TemperatureLogitsWarper(2.0)),
    (lambda: dec.TopK(5), lambda: TopKLogitsWarper(5)),
    (lambda: dec.TopK(2), lambda: TopKLogitsWarper(2)),
    (lambda: dec.TopK(500), lambda: TopKLogitsWarper(500)),  # larger than the vocabulary
    (lambda: dec.TopK(1, min_tokens_to_keep=3), lambda: TopKLogitsWarper(1, min_tokens_to_keep=3)),
    (lambda: dec.TopP(0.9), lambda: TopPLogitsWarper(0.9)),
    (lambda: dec.TopP(0.3), lambda: TopPLogitsWarper(0.3)),
    (lambda: dec.TopP(1.0), lambda: TopPLogitsWarper(1.0)),
    (lambda: dec.TopP(0.05, min_tokens_to_keep=4), lambda: TopPLogitsWarper(0.05, min_tokens_to_keep=4)),
    (lambda: dec.MinP(0.1), lambda: MinPLogitsWarper(0.1)),
    (lambda: dec.RepetitionPenalty(1.3), lambda: RepetitionPenaltyLogitsProcessor(1.3)),
    (lambda: dec.RepetitionPenalty(0.8), lambda: RepetitionPenaltyLogitsProcessor(0.8)),
    (lambda: dec.RepetitionPenalty(1.5, prompt_ignore_length=3),
     lambda: RepetitionPenaltyLogitsProcessor(1.5, prompt_ignore_length=3)),
]


@pytest.mark.parametrize("rows", [1, 2, 4])
def test_repetition_penalty_per_row_ignore_lengths_equal_the_library(rows):
    logits = random_logits(rows, (rows, 50))
    input_ids = torch.randint(0, 50, (rows, 6), generator=torch.Generator().manual_seed(rows))
    ignore = torch.arange(rows) % 6
    ours = dec.RepetitionPenalty(2.0, prompt_ignore_length=ignore)(input_ids, logits.clone())
    theirs = RepetitionPenaltyLogitsProcessor(2.0, prompt_ignore_length=ignore.clone())(input_ids, logits.clone())
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("pair", range(len(PAIRS)))
def test_processor_scores_equal_the_library(pair):
    ours, theirs = PAIRS[pair][0](), PAIRS[pair][1]()
    for logits in (random_logits(0), random_logits(1, (2, 8)), tied_logits()):
        input_ids = torch.randint(0, logits.shape[1], (logits.shape[0], 6), generator=torch.Generator().manual_seed(2))
        assert torch.equal(ours(input_ids, logits.clone()), theirs(input_ids, logits.clone()))


def test_top_k_keeps_ties_and_top_p_one_keeps_everything():
    scores = dec.TopK(2)(None, tied_logits())
    assert int(torch.isfinite(scores).sum()) == 3  # the three tied best tokens
    logits = random_logits()
    assert torch.equal(dec.TopP(1.0)(None, logits), logits)


def test_processors_compose_in_the_library_order(smol):
    _, model, _ = smol
    chain = dec.build_processors(do_sample=True, temperature=0.7, top_k=5, top_p=0.9, repetition_penalty=1.2)
    assert [type(p).__name__ for p in chain] == ["RepetitionPenalty", "Temperature", "TopK", "TopP"]
    assert dec.build_processors(do_sample=False, temperature=0.7, top_k=5) == []  # warpers only when sampling


# ---------------------------------------------------------------- bad input is refused with the valid range

BAD = [
    (dict(temperature=0), "temperature must be a number > 0"),
    (dict(temperature=-1.0), "temperature must be a number > 0"),
    (dict(top_k=-1), "top_k must be an integer >= 0"),
    (dict(top_k=2.5), "top_k must be an integer >= 0"),
    (dict(top_p=0.0), r"top_p must be in \(0, 1\]"),
    (dict(top_p=1.5), r"top_p must be in \(0, 1\]"),
    (dict(num_beams=0), "num_beams must be an integer >= 1"),
    (dict(max_new_tokens=0), "max_new_tokens must be an integer >= 1"),
    (dict(repetition_penalty=0.0), "repetition_penalty must be a number > 0"),
]


@pytest.mark.parametrize("settings,message", BAD, ids=[str(b[0]) for b in BAD])
def test_bad_settings_raise_with_the_valid_range(settings, message):
    model = TINY["gpt2"]()
    kwargs = {"max_new_tokens": 3, "do_sample": True, **settings}
    with pytest.raises(ValueError, match=message):
        dec.generate(model, torch.tensor([[5, 6, 7]]), **kwargs)


def test_empty_or_unbatched_prompts_are_refused():
    model = TINY["gpt2"]()
    with pytest.raises(ValueError, match="the prompt is empty"):
        dec.generate(model, torch.zeros((1, 0), dtype=torch.long), max_new_tokens=3)
    with pytest.raises(ValueError, match="2-D"):
        dec.generate(model, torch.tensor([5, 6, 7]), max_new_tokens=3)
    with pytest.raises(ValueError, match="must be a tensor"):
        dec.generate(model, [[5, 6, 7]], max_new_tokens=3)
