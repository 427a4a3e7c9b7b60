package dev.peerpigeon.federation;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a reply to a peer known only by its signals goes: the way its latest signal came, in its network. */
class ReplyPathsTest {
    private final HubLink a = Fakes.link(Fakes.id('a'), Map.of());
    private final HubLink b = Fakes.link(Fakes.id('b'), Map.of());
    private final String peer = Fakes.id('1');

    @Test
    void theLatestSignalsLinkAndOriginWinAndTheNetworkMustMatch() {
        ReplyPaths paths = new ReplyPaths(100);
        paths.learn("n", peer, a, "h1");
        paths.learn("n", peer, a, "h1"); // the same path again: still there
        assertThat(paths.get("n", peer).link()).isSameAs(a);
        paths.learn("n", peer, b, "h1");
        assertThat(paths.get("n", peer).link()).isSameAs(b);
        paths.learn("n", peer, b, "h2");
        assertThat(paths.get("n", peer).originHub()).isEqualTo("h2");
        assertThat(paths.get("other", peer)).isNull();
        paths.learn("other", peer, b, "h2");
        assertThat(paths.get("other", peer)).isNotNull();
        assertThat(paths.get("n", peer)).isNull();
    }

    @Test
    void aPathLivesTwoGenerationsAndARepeatedSignalRenewsIt() {
        ReplyPaths paths = new ReplyPaths(100);
        paths.learn("n", peer, a, null);
        paths.rotate();
        assertThat(paths.get("n", peer)).isNotNull();
        paths.learn("n", peer, a, null); // held only in the previous generation: written again to the current one
        paths.rotate();
        assertThat(paths.get("n", peer)).isNotNull();
        paths.rotate();
        paths.rotate();
        assertThat(paths.get("n", peer)).isNull();
    }
}
