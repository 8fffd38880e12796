import pytest

from evalkit.registry import Registry


def test_register_get_and_aliases():
    reg: Registry[type] = Registry("widget")

    @reg.register("alpha", "a")
    class Alpha:
        pass

    assert reg.get("alpha") is Alpha
    assert reg.get("a") is Alpha
    assert reg.names() == ["a", "alpha"]
    assert "alpha" in reg


def test_lazy_entry_imports_on_first_get():
    reg: Registry[object] = Registry("thing")
    reg.register("od", obj="collections:OrderedDict")
    from collections import OrderedDict

    assert reg.get("od") is OrderedDict


def test_unknown_name_lists_choices():
    reg: Registry[object] = Registry("dataset")
    reg.register("ucf101", obj=object())
    with pytest.raises(KeyError, match=r"unknown dataset 'ucf' ; choose one of: ucf101".replace(" ;", ";")):
        reg.get("ucf")


def test_duplicate_and_bad_names_rejected():
    reg: Registry[object] = Registry("metric")
    reg.register("psnr", obj=object())
    with pytest.raises(ValueError, match="already registered"):
        reg.register("psnr", obj=object())
    with pytest.raises(ValueError, match="invalid name"):
        reg.register("Bad Name", obj=object())
