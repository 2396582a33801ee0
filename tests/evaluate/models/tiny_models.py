"""Tiny models built inside the tests, saved to a temporary directory (nothing downloaded).

* a blank English spaCy pipeline with an ``ner`` component trained on one sentence;
* a WordPiece tokenizer trained on a few sentences (``tokenizers``), as ``BertTokenizerFast``;
* a 2-layer BERT (hidden size 32) for token classification, trained on one sentence;
* a GLiNER model over a tiny random BERT backbone, saved with its tokenizer and encoder config
  so that loading it needs nothing but its directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

# Accents and an emoji (one code point, two UTF-16 units, four UTF-8 bytes) before the entities.
SENTENCE = "Café owners 🎉 in Zürich said on Sunday that Angela Merkel visited Reuters."
ENTITIES = (("Zürich", "GPE"), ("Sunday", "DATE"), ("Angela Merkel", "PERSON"), ("Reuters", "ORG"))
OTHER_SENTENCES = (
    "The mayor of Zürich met Angela Merkel and the Reuters bureau chief on Sunday.",
    "Naïve résumés from São Paulo 🎉 reached the agency in Zürich.",
    "Security council mission border talks minister agency republic region treaty forces.",
)
BIO_LABELS = ("O", "B-PERSON", "I-PERSON", "B-ORG", "I-ORG", "B-GPE", "I-GPE", "B-DATE", "I-DATE")


def char_spans(text: str = SENTENCE, entities=ENTITIES) -> list[tuple[int, int, str]]:
    out = []
    for surface, label in entities:
        start = text.index(surface)
        out.append((start, start + len(surface), label))
    return out


# --------------------------------------------------------------------------- spaCy


def train_spacy(folder: Path, max_steps: int = 100) -> tuple[Path, int]:
    """Train a blank pipeline's NER on :data:`SENTENCE` until it finds every entity; save it.

    Returns the folder and the number of steps it took.
    """
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    spans = char_spans()
    for _, _, label in spans:
        ner.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(SENTENCE), {"entities": spans})]
    optimizer = nlp.initialize(lambda: examples)
    steps = 0
    while steps < max_steps:
        steps += 1
        nlp.update(examples, sgd=optimizer, drop=0.0, losses={})
        if steps % 5 == 0:
            found = {(e.start_char, e.end_char, e.label_) for e in nlp(SENTENCE).ents}
            if found == set(spans):
                break
    nlp.to_disk(folder)
    return folder, steps


# --------------------------------------------------------------------------- transformers


def train_tokenizer(folder: Path, model_max_length: int = 64):
    """A cased WordPiece tokenizer trained on the test sentences, saved as BertTokenizerFast."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # a small vocabulary, so that longer words are split into several sub-tokens
    trainer = trainers.WordPieceTrainer(vocab_size=100, special_tokens=specials)
    tok.train_from_iterator([SENTENCE, *OTHER_SENTENCES], trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        model_max_length=model_max_length,
        do_lower_case=False,
        strip_accents=False,
    )
    fast.save_pretrained(folder)
    return fast


def tiny_bert_config(vocab_size: int, **kwargs):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        **kwargs,
    )


def train_bert_ner(
    folder: Path, max_steps: int = 300, model_max_length: int = 64
) -> tuple[Path, int]:
    """A tiny BERT token classifier trained on :data:`SENTENCE` (every sub-token tagged) until
    it gives every sub-token its tag with probability > 0.9; saved with its tokenizer.

    Returns the folder and the number of steps it took.
    """
    import torch
    from transformers import BertForTokenClassification

    torch.manual_seed(0)
    tokenizer = train_tokenizer(folder, model_max_length)
    label2id = {label: i for i, label in enumerate(BIO_LABELS)}
    config = tiny_bert_config(
        len(tokenizer), id2label=dict(enumerate(BIO_LABELS)), label2id=label2id
    )
    model = BertForTokenClassification(config)
    enc = tokenizer(SENTENCE, return_offsets_mapping=True, return_tensors="pt")
    tags = []
    for (start, end), word in zip(enc["offset_mapping"][0].tolist(), enc.word_ids(), strict=True):
        tag = "O"
        for s, e, label in char_spans():
            if word is not None and s <= start and end <= e:
                tag = ("B-" if start == s else "I-") + label
        tags.append(label2id[tag] if word is not None else -100)
    labels = torch.tensor([tags])
    known = labels[0] >= 0
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    inputs = {k: v for k, v in enc.items() if k != "offset_mapping"}
    steps = 0
    while steps < max_steps:
        steps += 1
        model.train()
        loss = model(**inputs, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if steps % 10 == 0:
            model.eval()
            with torch.no_grad():
                probs = model(**inputs).logits[0].softmax(-1)
            if probs[known, labels[0, known]].min() > 0.9:
                break
    model.eval()
    model.save_pretrained(folder)
    return folder, steps


# --------------------------------------------------------------------------- GLiNER


def tiny_gliner(folder: Path, max_len: int = 24) -> Path:
    """A randomly initialised GLiNER over a tiny BERT backbone, saved to ``folder``.

    GLiNER resolves its backbone through ``config.model_name`` (AutoConfig, AutoTokenizer and,
    with ``backbone_from_pretrained``, the weights): it is pointed at a local backbone
    directory, which is deleted once the GLiNER directory is saved, since that directory
    carries the tokenizer files and the encoder config (``encoder_config``) itself.
    """
    import torch
    from gliner import GLiNER, GLiNERConfig
    from transformers import BertModel

    torch.manual_seed(0)
    backbone = folder.parent / (folder.name + "-backbone")
    tokenizer = train_tokenizer(backbone)
    BertModel(tiny_bert_config(len(tokenizer))).save_pretrained(backbone)
    config = GLiNERConfig(
        model_name=str(backbone),
        hidden_size=32,
        max_width=4,
        max_len=max_len,
        dropout=0.0,
        num_rnn_layers=0,
    )
    model = GLiNER.from_config(config, backbone_from_pretrained=True, local_files_only=True)
    model.save_pretrained(folder)
    shutil.rmtree(backbone)
    return folder
