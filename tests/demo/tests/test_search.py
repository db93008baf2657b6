import pytest

from inventory.search import SearchIndex, stem, tokenize


@pytest.fixture
def index(catalog):
    idx = SearchIndex()
    for product in catalog:
        idx.add_product(product)
    return idx


@pytest.mark.parametrize(
    "word, stemmed",
    [("apples", "apple"), ("batteries", "battery"), ("charging", "charg"), ("glass", "glass"), ("bus", "bus"), ("ring", "ring")],
)
def test_stem(word, stemmed):
    assert stem(word) == stemmed


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("The Pragmatic Programmer", ["pragmatic", "programmer"]),
        ("USB-C cable", ["usb", "c", "cable"]),
        ("Socks for hiking!", ["sock", "hik"]),
        ("   ", []),
        ("a an and of the", []),
        ("1 kg bag", ["1", "kg", "bag"]),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    "query, best",
    [
        ("apple", "APP-0001"),
        ("pytest testing", "BOK-0004"),
        ("wireless headphones", "HDP-0006"),
        ("charging cable", "CAB-0005"),
        ("desk lamp", "LMP-0010"),
        ("sourdough", "BRD-0002"),
    ],
)
def test_best_hit(index, query, best):
    assert index.search(query)[0][0] == best


def test_plural_and_singular_match(index):
    assert index.search("sock")[0][0] == index.search("socks")[0][0] == "SCK-0008"


def test_ranking_is_stable_and_sorted(index):
    hits = index.search("organic hiking")
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert index.search("organic hiking") == hits


def test_require_all_terms(index):
    assert [sku for sku, _ in index.search("hiking camping", require_all=True)] == ["MUG-0009"]
    assert len(index.search("hiking camping")) == 2


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_limit(index, limit):
    assert len(index.search("software organic hiking wireless", limit=limit)) == limit


@pytest.mark.parametrize("query", ["", "the and of", "zeppelin"])
def test_no_hits(index, query):
    assert index.search(query) == []


def test_rare_terms_weigh_more(index):
    # "organic" tags two products, "cotton" one: the t-shirt matches both terms.
    hits = dict(index.search("organic cotton"))
    assert hits["TSH-0007"] > hits["APP-0001"]


def test_remove_drops_a_document(index):
    index.remove("HDP-0006")
    assert "HDP-0006" not in index
    assert index.search("headphones") == []
    assert len(index) == 9


def test_remove_unknown_raises(index):
    with pytest.raises(KeyError):
        index.remove("ZZZ-0000")


def test_re_adding_replaces_the_text():
    idx = SearchIndex()
    idx.add("DOC-0001", "red kettle")
    idx.add("DOC-0001", "blue teapot")
    assert idx.search("kettle") == []
    assert idx.search("teapot")[0][0] == "DOC-0001"
    assert len(idx) == 1


@pytest.mark.parametrize(
    "prefix, words",
    [("or", ["organic"]), ("h", ["hiking", "headphones"]), ("ZZ", []), ("", []), ("c", ["cable", "camping"])],
)
def test_complete(index, prefix, words):
    assert index.complete(prefix, limit=2) == words


def test_completion_forgets_removed_documents(index):
    index.remove("LMP-0010")
    assert "lamp" not in index.complete("la")
