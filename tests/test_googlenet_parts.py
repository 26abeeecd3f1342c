"""GoogLeNet as stem, body and head: the same layers, in the same order, computing the same function."""

import pytest
import torch
from torch import nn

import d2l_utils as du
from tools.figures.cost_figures import plot_parts


def test_parts_compute_the_net_and_share_its_parameters():
    torch.manual_seed(0)
    net = du.googlenet().eval()
    parts = du.googlenet_parts(net)
    assert list(dict(parts.named_children())) == ["stem", "body", "head"]
    X = torch.randn(2, 1, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(parts(X), net(X))
    assert {id(p) for p in parts.parameters()} == {id(p) for p in net.parameters()}
    assert str(du.googlenet()) == str(net), "building the parts must not change the net"


def test_the_stem_has_no_inception_block_and_the_body_all_nine():
    parts = du.googlenet_parts()
    count = lambda part: sum(isinstance(m, du.Inception) for m in part.modules())  # noqa: E731
    assert (count(parts.stem), count(parts.body), count(parts.head)) == (0, 9, 0)
    X = torch.randn(1, 1, 96, 96)
    with torch.no_grad():
        assert parts.stem.eval()(X).shape == (1, 192, 12, 12)


@pytest.mark.bad_input
def test_another_network_is_refused():
    with pytest.raises(ValueError, match="googlenet"):
        du.googlenet_parts(nn.Sequential(nn.Linear(2, 2)))


def test_plot_parts_draws_one_box_per_part_with_its_costs():
    import matplotlib

    matplotlib.use("agg")
    net = du.googlenet_parts()
    before = str(net)
    fig = plot_parts(net, (1, 1, 96, 96))
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_text()]  # the arrows are empty annotations
    assert [t.split("\n")[0] for t in texts] == ["input", "stem", "body", "head"]
    assert "192×12×12" in texts[1] and "1024×3×3" in texts[2]
    assert str(net) == before
