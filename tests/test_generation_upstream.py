"""transformers' own generation tests, ported to the kit's pieces: upstream's inputs and assertions applied to the
kit's class, and the same inputs through the installed transformers class, compared.

Sources (huggingface/transformers, main): tests/generation/test_logits_process.py, test_stopping_criteria.py, and
the decoding cases of test_utils.py (GenerationTesterMixin). Each test names the upstream test it comes from. Where
upstream loads a Hub tokenizer (gpt2, Qwen2), `byte_level_tokenizer` builds a tiny byte-level BPE tokenizer here with
the property the case relies on: tokens that can run past a stop string, and optional special tokens.

Left out, because the kit has no such piece: min length, no-repeat n-grams, bad words, sequence bias, prefix
constraints, Hamming diversity, forced BOS/EOS, NaN removal, exponential length decay, logit normalisation,
classifier-free guidance, Bark, typical / epsilon / eta sampling, watermarking, encoder repetition penalty, max time,
confidence, multi-codebook EOS, kwargs filtering, validate_stopping_criteria; StopStringCriteria's private helpers
(_stop_string_get_matching_positions, _stop_string_create_embedding_vec, matching modes, _token_to_bytes) and its
torch.compile case (the kit decodes text instead of precomputing token overlaps as tensors); and from test_utils, everything beyond greedy, sampling and
beam search (assisted decoding, contrastive search, beam groups, constraints, caches other than the dynamic one,
output dicts).
"""
import pytest
import torch
from transformers import (AutoModelForCausalLM, EosTokenCriteria, GPT2Config, LlamaConfig, LogitsProcessorList,
                          MaxLengthCriteria, MinPLogitsWarper, RepetitionPenaltyLogitsProcessor, StoppingCriteriaList,
                          StopStringCriteria, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

from labkit import decoding as dec


def uniform(batch_size, length):  # upstream's _get_uniform_logits
    return torch.ones((batch_size, length)) / length


def ids_tensor(shape, vocab_size, seed=0):  # upstream's ids_tensor, seeded
    return torch.randint(0, vocab_size, shape, generator=torch.Generator().manual_seed(seed))


def same(kit, library, *args):
    """The kit's processor and the installed class give the same scores on the same (copied) input."""
    ours, theirs = kit(*[a.clone() if torch.is_tensor(a) else a for a in args]), library(*args)
    torch.testing.assert_close(ours, theirs)
    return ours


# ---------------------------------------------------------------- test_logits_process.py

def test_temperature_dist_warper():
    length = 20
    scores = uniform(2, length)
    scores[1, 5] = 1 / length + 0.1  # peak
    scores[1, 10] = 1 / length - 0.4  # valley
    probs = scores.softmax(-1)
    sharp = same(dec.Temperature(0.5), TemperatureLogitsWarper(0.5), None, scores).softmax(-1)
    smooth_scores = same(dec.Temperature(1.3), TemperatureLogitsWarper(1.3), None, scores)
    smooth = smooth_scores.softmax(-1)
    torch.testing.assert_close(probs[0], sharp[0], rtol=1e-3, atol=1e-3)  # uniform stays uniform
    torch.testing.assert_close(probs[0], smooth[0], rtol=1e-3, atol=1e-3)
    assert probs[1].max() < sharp[1].max() and probs[1].min() > sharp[1].min()  # sharper
    assert probs[1].max() > smooth[1].max() and probs[1].min() < smooth[1].min()  # smoother
    assert not torch.all(scores == smooth_scores)  # not in place


def test_repetition_penalty_dist_process():
    input_ids, vocab_size = torch.tensor([[0, 1], [5, 0]]), 10
    scores = uniform(2, vocab_size)
    scores[0, 0], scores[1, 5] = -(1 / vocab_size), 4 / vocab_size
    out = same(dec.RepetitionPenalty(2.0), RepetitionPenaltyLogitsProcessor(2.0), input_ids, scores)
    assert out[0, 0].item() == pytest.approx(-(1 / vocab_size) * 2)
    assert out[0, 1].item() == pytest.approx((1 / vocab_size) / 2)
    assert out[1, 0].item() == pytest.approx((1 / vocab_size) / 2)
    assert out[1, 5].item() == pytest.approx((4 / vocab_size) / 2)
    assert not torch.all(scores == out)


def test_repetition_penalty_prompt_ignore_length():
    """RepetitionPenaltyLogitsProcessor(prompt_ignore_length=...): the first positions are not counted as seen."""
    input_ids, vocab_size = torch.tensor([[0, 1, 2], [5, 0, 3]]), 10
    scores = torch.randn(2, vocab_size, generator=torch.Generator().manual_seed(0))
    out = same(dec.RepetitionPenalty(2.0, prompt_ignore_length=2),
               RepetitionPenaltyLogitsProcessor(2.0, prompt_ignore_length=2), input_ids, scores)
    changed = (out != scores).nonzero().tolist()
    assert changed == [[0, 2], [1, 3]]  # only the tokens after the ignored prompt


def test_top_k_dist_warper():
    vocab_size, batch_size = 10, 2
    ramp = torch.arange(vocab_size, dtype=torch.float).unsqueeze(0).repeat(batch_size, 1)
    ramp[1:, : vocab_size // 2] = ramp[1:, : vocab_size // 2] + vocab_size
    scores = same(dec.TopK(3), TopKLogitsWarper(3), None, ramp)
    assert torch.isinf(scores[0]).tolist() == 7 * [True] + 3 * [False]
    assert torch.isinf(scores[1]).tolist() == 2 * [True] + 3 * [False] + 5 * [True]
    assert not torch.all(scores == ramp)
    safety = (dec.TopK(top_k=1, filter_value=0.0, min_tokens_to_keep=3),
              TopKLogitsWarper(top_k=1, filter_value=0.0, min_tokens_to_keep=3))
    scores = same(*safety, None, uniform(batch_size, 5))
    assert (scores == 0.0).long().sum(-1).tolist() == [0, 0]  # uniform: unchanged
    ramp = torch.arange(5, dtype=torch.float).unsqueeze(0).repeat(batch_size, 1)
    scores = same(*safety, None, ramp)
    assert (scores == 0.0).long().sum(-1).tolist() == [2, 2]  # min_tokens_to_keep overrides k


def test_top_p_dist_warper():
    dist = torch.log(torch.tensor([[0.3, 0.1, 0.1, 0.5], [0.15, 0.3, 0.3, 0.25]]))
    filtered = same(dec.TopP(0.8), TopPLogitsWarper(0.8), None, dist).exp()
    torch.testing.assert_close(filtered, torch.tensor([[0.3, 0.0, 0.0, 0.5], [0.0, 0.3, 0.3, 0.25]]),
                               rtol=1e-3, atol=1e-3)
    assert not torch.all(dec.TopP(0.8)(None, dist) == dist)
    ramp = torch.arange(10, dtype=torch.float).unsqueeze(0).repeat(2, 1) - 5
    ramp[1] = ramp[1] * 100.0
    kept = same(dec.TopP(0.9, min_tokens_to_keep=2, filter_value=0.0),
                TopPLogitsWarper(0.9, min_tokens_to_keep=2, filter_value=0.0), None, ramp)
    assert (kept != 0.0).long().sum(-1).tolist() == [3, 2]


def test_min_p_dist_warper():
    dist = torch.log(torch.tensor([[0.9, 0.0274, 0.047, 0.0274], [0.15, 0.3, 0.3, 0.25], [0.97, 0.01, 0.01, 0.01]]))
    filtered = same(dec.MinP(0.05), MinPLogitsWarper(0.05), None, dist).exp()
    expected = torch.tensor([[0.9, 0.0, 0.047, 0.0], [0.15, 0.3, 0.3, 0.25], [0.97, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(filtered, expected, rtol=1e-3, atol=1e-3)
    ramp = (torch.arange(10, dtype=torch.float) - 5).unsqueeze(0).repeat(2, 1)
    ramp[1] = ramp[1] * 100.0
    kept = same(dec.MinP(0.9, min_tokens_to_keep=2, filter_value=0.0),
                MinPLogitsWarper(0.9, min_tokens_to_keep=2, filter_value=0.0), None, ramp)
    assert (kept != 0.0).long().sum(-1).tolist() == [2, 2]


def test_processor_list():
    """Upstream's list holds seven processors; the kit has four of them (min length, n-grams and bad words: none)."""
    input_ids = ids_tensor((4, 10), 15)
    before = input_ids.clone()
    kit = [dec.Temperature(0.5), dec.RepetitionPenalty(2.0), dec.TopK(3), dec.TopP(0.8)]
    library = [TemperatureLogitsWarper(0.5), RepetitionPenaltyLogitsProcessor(2.0), TopKLogitsWarper(3),
               TopPLogitsWarper(0.8)]
    one_by_one = uniform(4, 15)
    for processor in kit:
        one_by_one = processor(input_ids, one_by_one)
    as_list = LogitsProcessorList(kit)(input_ids, uniform(4, 15))
    torch.testing.assert_close(one_by_one, as_list, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(dec.apply_processors(kit, input_ids, uniform(4, 15)),
                               LogitsProcessorList(library)(input_ids, uniform(4, 15)))
    assert input_ids.tolist() == before.tolist()  # input_ids are never changed


# ---------------------------------------------------------------- test_stopping_criteria.py

def byte_level_tokenizer(tokens=(), special=()):
    """A byte-level BPE tokenizer: every byte is a token, plus `tokens` (reachable by id) and `special` tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    for token in tokens:
        vocab.setdefault(token, len(vocab))
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|endoftext|>",
                                        pad_token="<|endoftext|>", additional_special_tokens=list(special))
    tokenizer.padding_side = "left"
    return tokenizer


def stop_both(tokenizer, stop_strings, input_ids):
    """(kit, library) verdicts, one per row."""
    ours = dec.StopStrings(tokenizer, stop_strings)(input_ids, None).tolist()
    theirs = StopStringCriteria(tokenizer=tokenizer, stop_strings=stop_strings)(input_ids, None).tolist()
    return ours, theirs


def from_tokens(tokenizer, tokens):
    return torch.tensor([tokenizer.convert_tokens_to_ids(tokens)])


def get_tensors(length):  # upstream's _get_tensors
    return ids_tensor((3, length), 250), torch.ones((3, length)) / length


def test_max_length_criteria():
    for length, done in ((5, False), (9, False), (10, True)):
        input_ids, scores = get_tensors(length)
        ours = dec.MaxLength(10)(input_ids, scores)
        assert all(ours) is done and ours.tolist() == MaxLengthCriteria(max_length=10)(input_ids, scores).tolist()


def test_eos_token_criteria():
    for last, expected in (([0, 0, 0], [True, True, True]), ([0, 0, 1], [True, True, False]),
                           ([1, 1, 1], [False, False, False])):
        input_ids, scores = get_tensors(5)
        input_ids[:, -1] = torch.tensor(last)
        assert dec.EosToken(0)(input_ids, scores).tolist() == expected
        assert EosTokenCriteria(eos_token_id=0)(input_ids, scores).tolist() == expected
        several = dec.EosToken([0, 1])(input_ids, scores).tolist()  # several EOS ids
        assert several == EosTokenCriteria([0, 1])(input_ids, scores).tolist() == [True, True, True]


def test_list_criteria():
    """Upstream also lists MaxTimeCriteria, which the kit does not have."""
    for length, done in ((5, False), (9, False), (10, True)):
        input_ids, scores = get_tensors(length)
        ours = dec.any_criterion([dec.MaxLength(10)], input_ids, scores)
        assert all(ours) is done
        assert ours.tolist() == StoppingCriteriaList([MaxLengthCriteria(10)])(input_ids, scores).tolist()


TRUE_STRINGS = ["<|im_start|><|im_end|>", "<|im_start|><|im_end|<|im_end|>", ">><|im_start|>>stop", "stop", "e nd"]
FALSE_STRINGS = ["<|im_start|><|im_end|", "<|im_start|><|im_end|<|im_end|", "<|im_end|><|im_start|>",
                 "<|im_end|<>stop<|im_end|", "end", "en d", "eNd", "<|im_end|", "|im_end|>", "s"]


@pytest.mark.parametrize("special", [(), ("<|im_start|>", "<|im_end|>")], ids=["plain-text", "special-tokens"])
def test_stop_string_criteria(special):
    tokenizer = byte_level_tokenizer(special=special)
    for strings, expected in ((TRUE_STRINGS, True), (FALSE_STRINGS, False)):
        batch = tokenizer(strings, return_tensors="pt", padding="longest", add_special_tokens=False)["input_ids"]
        for i, text in enumerate(strings):
            ours, theirs = stop_both(tokenizer, ["<|im_end|>", "stop", "e nd"], batch[i: i + 1])
            assert ours == theirs == [expected], text


# StopStringCriteria's docstring: "stop" overlapping the final token stops; ending before it does not.
STOP_OVERLAPS = [["st", "op"], ["stop"], ["st", "opera"], ["sto", "pper"], ["las", "topper"], ["s", "to", "pped"]]
STOP_BEFORE = [["stop", "at"], ["st", "op", "at"], ["st", "opera", "tion"]]


def test_stop_string_overlapping_the_last_token():
    tokenizer = byte_level_tokenizer(tokens={t for seq in STOP_OVERLAPS + STOP_BEFORE for t in seq})
    for tokens, expected in [(t, True) for t in STOP_OVERLAPS] + [(t, False) for t in STOP_BEFORE]:
        ours, theirs = stop_both(tokenizer, ["stop"], from_tokens(tokenizer, tokens))
        assert ours == theirs == [expected], tokens


def test_single_letter_stop_string():
    tokenizer = byte_level_tokenizer(tokens=["abc", "aa", "bbbbbbb"])
    cases = [(["a"], True), (["b", "aa"], True), (["abc"], True),  # "abc" is a single token
             (["a", "bbbbbbb"], False), (["b"], False)]  # "abbbbbbb" is split into several tokens
    for tokens, expected in cases:
        ours, theirs = stop_both(tokenizer, ["a"], from_tokens(tokenizer, tokens))
        assert ours == theirs == [expected], tokens


def test_stop_string_criteria_vocab_size_mismatch():
    """Ids above len(tokenizer) (a model's padded vocabulary) neither raise nor match."""
    tokenizer = byte_level_tokenizer()
    ours, theirs = stop_both(tokenizer, ["test"], torch.tensor([[len(tokenizer) + 1024, 1, 2]]))
    assert ours == theirs == [False]


def byte_fallback_tokenizer():
    """A Llama-style (SentencePiece) tokenizer: '▁' for spaces, a few ASCII pieces, and every other character
    spelled as byte tokens <0xNN> (byte fallback), which decode to text only together."""
    from tokenizers import Tokenizer, decoders, models, normalizers
    from transformers import PreTrainedTokenizerFast

    pieces = ["<unk>", *(f"<0x{b:02X}>" for b in range(256)), "▁", *"abcdefghijklmnopqrstuvwxyz!"]
    backend = Tokenizer(models.BPE(vocab={p: i for i, p in enumerate(pieces)}, merges=[], unk_token="<unk>",
                                   byte_fallback=True))
    backend.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    backend.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", pad_token="<unk>")


def word_piece_tokenizer():
    """A BERT-style WordPiece tokenizer (whole words, no bytes): upstream's tiny-random-bert case."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["[PAD]", "[UNK]", "the", "end", "of", *letters, *(f"##{c}" for c in letters)]
    vocab = {w: i for i, w in enumerate(words)}
    backend = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]")


def isolated_decode_loses(tokenizer, text, stop_string):  # upstream's _assert_isolated_token_decode_loses_stop_string
    """The text ends with the stop string, but decoding its tokens one at a time never spells it."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    isolated = "".join(tokenizer.convert_tokens_to_string([t]) for t in tokenizer.convert_ids_to_tokens(ids))
    return tokenizer.decode(ids).endswith(stop_string) and stop_string not in isolated


def verdicts(tokenizer, cases):
    """For each (text, stop string, expected): the kit's and the library's verdict on the text's tokens."""
    for text, stop_string, expected in cases:
        input_ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
        ours, theirs = stop_both(tokenizer, [stop_string], input_ids)
        assert ours == theirs == [expected], (text, stop_string)


def test_stop_string_criteria_byte_fragments():
    """Korean stop strings whose characters are cut into byte-level tokens (upstream: Qwen2's tokenizer)."""
    tokenizer = byte_level_tokenizer()
    assert isolated_decode_loses(tokenizer, "대화 끝", "끝") and isolated_decode_loses(tokenizer, "작업 완료", "완료")
    verdicts(tokenizer, [("대화 끝", "끝", True), ("작업 완료", "완료", True), ("대화 끝 다음", "끝", False)])


def test_stop_string_criteria_byte_fallback_fragments():
    """The same with byte-fallback tokens <0xNN> (upstream: hf-internal-testing/llama-tokenizer)."""
    tokenizer = byte_fallback_tokenizer()
    assert isolated_decode_loses(tokenizer, "대화 끝", "끝") and isolated_decode_loses(tokenizer, "abc 끝!", "끝!")
    verdicts(tokenizer, [("대화 끝", "끝", True), ("abc 끝!", "끝!", True), ("대화 끝 다음", "끝", False),
                         ("완료 후속", "완료", False)])


def test_stop_string_criteria_byte_level_ascii():
    verdicts(byte_level_tokenizer(), [("the end", "end", True), ("end of", "end", False)])


def test_stop_string_criteria_non_byte_level_tokenizer():
    verdicts(word_piece_tokenizer(), [("the end", "end", True), ("end of", "end", False)])


def test_byte_fragments_at_every_step():
    """Beyond upstream: every prefix of the token sequence, as generation sees it one token at a time, gets the
    library's verdict, including the steps that end inside a character."""
    for tokenizer in (byte_level_tokenizer(), byte_fallback_tokenizer()):
        for text, stop_string in (("대화 끝 다음", "끝"), ("작업 완료", "완료"), ("abc 끝!", "끝!"), ("the end 🤗", "🤗")):
            input_ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
            for n in range(1, input_ids.shape[1] + 1):
                ours, theirs = stop_both(tokenizer, [stop_string], input_ids[:, :n])
                assert ours == theirs, (text, n)


TEXTS = ["They completed the challenging puzzle, revealing the hidden image at the end",
         "Today a dragon flew over France", "The aroma of freshly baked pizza filled the kitchen"]


def test_criteria_per_row():
    tokenizer = byte_level_tokenizer()
    input_ids = tokenizer(TEXTS[0], return_tensors="pt", add_special_tokens=False)["input_ids"]
    kit = [dec.MaxLength(100), dec.StopStrings(tokenizer, ["end"])]  # upstream's 20 is in gpt2 tokens; here bytes
    library = StoppingCriteriaList([MaxLengthCriteria(100), StopStringCriteria(tokenizer, ["end"])])
    assert dec.any_criterion(kit, input_ids, None).tolist() == library(input_ids, None).tolist() == [True]
    assert dec.any_criterion(kit, input_ids[:, :-1], None).tolist() == library(input_ids[:, :-1], None).tolist()
    assert library(input_ids[:, :-1], None).tolist() == [False]


def test_criteria_per_row_batched():
    tokenizer = byte_level_tokenizer()
    input_ids = tokenizer(TEXTS, return_tensors="pt", padding="longest", add_special_tokens=False)["input_ids"]
    kit = [dec.MaxLength(100), dec.StopStrings(tokenizer, ["end"])]
    library = StoppingCriteriaList([MaxLengthCriteria(100), StopStringCriteria(tokenizer, ["end"])])
    assert dec.any_criterion(kit, input_ids, None).tolist() == library(input_ids, None).tolist() == [True, False, False]
    shorter = input_ids[:, :-1]
    assert dec.any_criterion(kit, shorter, None).tolist() == library(shorter, None).tolist() == [False] * 3


def test_stopping_criteria_list_accepts_plain_callables():
    """Plain functions are criteria too, and one may answer with a plain Python bool (meaning: every row)."""
    input_ids = torch.tensor([[1, 2], [3, 4]])

    def per_row(input_ids, scores):
        return torch.tensor([False, True])

    def everyone(input_ids, scores):
        return False

    assert dec.any_criterion([per_row, everyone], input_ids, None).tolist() == [False, True]
    assert dec.any_criterion([lambda i, s: True], input_ids, None).tolist() == [True, True]
    assert StoppingCriteriaList([per_row])(input_ids, None).tolist() == [False, True]


# ---------------------------------------------------------------- test_utils.py: greedy, sampling, beam search

# GenerationTesterMixin: 3 new tokens, a repetition penalty of 1.2 (its bad_words_ids: the kit has none), sampling
# with top_k=10, top_p=0.7, temperature=0.7, beams: num_beams=2, num_return_sequences=2, length_penalty=2.0,
# early_stopping=False; on the GPT-2 and Llama testers' tiny configs (vocabulary 99, hidden size 32).
TESTERS = {
    "gpt2": GPT2Config(vocab_size=99, n_embd=32, n_layer=2, n_head=4, n_positions=512, bos_token_id=98,
                       eos_token_id=98, pad_token_id=98),
    "llama": LlamaConfig(vocab_size=99, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, pad_token_id=0),
}
PROCESSORS = {"repetition_penalty": 1.2}
SAMPLING = {"top_k": 10, "top_p": 0.7, "temperature": 0.7}
BEAMS = {"num_beams": 2, "num_return_sequences": 2, "length_penalty": 2.0, "early_stopping": False}


def build_tester(name):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(TESTERS[name]).eval()
    input_ids = ids_tensor((2, 7), 97, seed=1) + 1  # no pad/eos ids in the prompt
    return model, input_ids, torch.ones_like(input_ids)


@pytest.mark.parametrize("name", TESTERS)
def test_greedy_generate(name):
    model, input_ids, mask = build_tester(name)
    kwargs = dict(max_new_tokens=3)
    library = model.generate(input_ids, attention_mask=mask, do_sample=False, **kwargs, **PROCESSORS)
    ours = dec.generate(model, input_ids, mask, **kwargs, **PROCESSORS)
    assert torch.equal(ours, library) and ours.shape[1] <= input_ids.shape[1] + 3


@pytest.mark.parametrize("name", TESTERS)
@pytest.mark.parametrize("num_return_sequences", [1, 2])
def test_sample_generate(name, num_return_sequences):
    """Upstream's test_sample_generate (one sequence) and test_sample_generate_dict_output (two)."""
    model, input_ids, mask = build_tester(name)
    settings = dict(max_new_tokens=3, do_sample=True, num_return_sequences=num_return_sequences, **SAMPLING,
                    **PROCESSORS)
    torch.manual_seed(0)
    library = model.generate(input_ids, attention_mask=mask, **settings)
    torch.manual_seed(0)
    ours = dec.generate(model, input_ids, mask, **settings)
    assert torch.equal(ours, library) and ours.shape[0] == input_ids.shape[0] * num_return_sequences


@pytest.mark.parametrize("name", TESTERS)
def test_beam_search_generate(name):
    model, input_ids, mask = build_tester(name)
    library = model.generate(input_ids, attention_mask=mask, max_new_tokens=3, do_sample=False, **BEAMS, **PROCESSORS)
    ours = dec.generate(model, input_ids, mask, max_new_tokens=3, **BEAMS, **PROCESSORS)
    assert torch.equal(ours, library) and ours.shape[0] == input_ids.shape[0] * BEAMS["num_return_sequences"]
