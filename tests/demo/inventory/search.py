"""An in-memory full-text index of the catalog with TF-IDF ranking."""

import math
import re
from collections import Counter, defaultdict

STOPWORDS = frozenset("a an and for in of on or the to with".split())
TOKEN = re.compile(r"[a-z0-9]+")


def stem(word):
    """A deliberately tiny stemmer: plural and -ing endings."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text):
    return [stem(w) for w in TOKEN.findall(text.lower()) if w not in STOPWORDS]


class SearchIndex:
    def __init__(self):
        self._postings = defaultdict(dict)  # term -> {doc_id: term frequency}
        self._lengths = {}
        self._words = Counter()  # unstemmed words, for completion
        self._doc_words = {}

    def __len__(self):
        return len(self._lengths)

    def __contains__(self, doc_id):
        return doc_id in self._lengths

    def add(self, doc_id, text):
        if doc_id in self._lengths:
            self.remove(doc_id)
        terms = tokenize(text)
        for term, count in Counter(terms).items():
            self._postings[term][doc_id] = count
        self._lengths[doc_id] = len(terms)
        words = Counter(w for w in TOKEN.findall(text.lower()) if w not in STOPWORDS)
        self._doc_words[doc_id] = words
        self._words.update(words)

    def add_product(self, product):
        text = " ".join([product.name, product.category, " ".join(product.tags), product.description])
        self.add(product.sku, text)

    def remove(self, doc_id):
        if doc_id not in self._lengths:
            raise KeyError(doc_id)
        for term in list(self._postings):
            self._postings[term].pop(doc_id, None)
            if not self._postings[term]:
                del self._postings[term]
        del self._lengths[doc_id]
        self._words.subtract(self._doc_words.pop(doc_id))
        self._words = +self._words  # drops words no document uses any more

    def _idf(self, term):
        df = len(self._postings.get(term, ()))
        return math.log((1 + len(self._lengths)) / (1 + df)) + 1

    def search(self, query, limit=10, require_all=False):
        """[(doc_id, score)] best first; ties broken by doc_id for stable output."""
        terms = tokenize(query)
        if not terms:
            return []
        scores = defaultdict(float)
        matched = defaultdict(set)
        for term in set(terms):
            idf = self._idf(term)
            for doc_id, tf in self._postings.get(term, {}).items():
                scores[doc_id] += (tf / self._lengths[doc_id]) * idf
                matched[doc_id].add(term)
        if require_all:
            wanted = set(terms)
            scores = {d: s for d, s in scores.items() if matched[d] == wanted}
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [(doc_id, round(score, 6)) for doc_id, score in ranked[:limit]]

    def complete(self, prefix, limit=5):
        """Most frequent indexed words starting with prefix."""
        prefix = prefix.lower()
        if not prefix:
            return []
        candidates = [(w, n) for w, n in self._words.items() if w.startswith(prefix)]
        candidates.sort(key=lambda item: (-item[1], item[0]))
        return [word for word, _ in candidates[:limit]]
