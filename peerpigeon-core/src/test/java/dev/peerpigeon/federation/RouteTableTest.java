package dev.peerpigeon.federation;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.peerpigeon.federation.Fakes.id;
import static dev.peerpigeon.federation.Fakes.link;
import static org.assertj.core.api.Assertions.assertThat;

class RouteTableTest {
    private static final String SELF = id('0');
    private static final String A = id('a');
    private static final String B = id('b');
    private static final String C = id('c');
    private static final String X = id('e');

    @Test
    void theShortestAdvertisedPathWins() {
        HubLink a = link(A, Map.of(X, List.of(A, C, X)));
        HubLink b = link(B, Map.of(X, List.of(B, X)));
        Map<String, RouteTable.Route> t = RouteTable.compute(SELF, List.of(a, b));
        assertThat(t.get(X).link()).isSameAs(b);
        assertThat(t.get(X).path()).containsExactly(SELF, B, X);
        assertThat(t.get(A).path()).containsExactly(SELF, A);
    }

    @Test
    void equalLengthsAreOrderedByHubIdsWhateverTheLinkOrder() {
        HubLink a = link(A, Map.of(X, List.of(A, X)));
        HubLink b = link(B, Map.of(X, List.of(B, X)));
        assertThat(RouteTable.compute(SELF, List.of(b, a)).get(X).link()).isSameAs(a);
        assertThat(RouteTable.compute(SELF, List.of(a, b)).get(X).link()).isSameAs(a);
    }

    @Test
    void pathsThroughThisHubAndClaimsOnDirectNeighboursAreIgnored() {
        HubLink a = link(A, Map.of(X, List.of(A, SELF, X), B, List.of(A, B)));
        HubLink b = link(B, Map.of());
        Map<String, RouteTable.Route> t = RouteTable.compute(SELF, List.of(a, b));
        assertThat(t).doesNotContainKey(X);
        assertThat(t.get(B).link()).isSameAs(b); // over its own link, not the one-hop-longer claim through A
        // validate drops a looping path silently (not an error)
        RouteTable.Advert adv = RouteTable.validate(SELF, A, Map.of(X, List.of(A, SELF, X)));
        assertThat(adv.paths()).isEmpty();
        assertThat(adv.bad()).isZero();
    }

    @Test
    void invalidAdvertisedPathsAreRefused() {
        assertThat(RouteTable.validPath(A, X, List.of(A, X))).containsExactly(A, X);
        assertThat(RouteTable.validPath(A, X, List.of(B, X))).isNull();          // not from the sender
        assertThat(RouteTable.validPath(A, X, List.of(A, C))).isNull();          // not ending at the hub
        assertThat(RouteTable.validPath(A, X, List.of(A, C, A, X))).isNull();    // repeats
        assertThat(RouteTable.validPath(A, X, List.of(A, "nope", X))).isNull();  // not a hub id
        assertThat(RouteTable.validPath(A, "nope", List.of(A))).isNull();
        assertThat(RouteTable.validPath(A, X, null)).isNull();                   // not an array of strings
        assertThat(RouteTable.validPath(A, X, List.of())).isNull();
        List<String> tooLong = new ArrayList<>();
        tooLong.add(A);
        for (int i = 1; i < RouteTable.MAX_TTL; i++) {
            tooLong.add(String.format("%040x", i + 100));
        }
        tooLong.add(X);
        assertThat(tooLong).hasSize(RouteTable.MAX_TTL + 1);
        assertThat(RouteTable.validPath(A, X, tooLong)).isNull();
        assertThat(RouteTable.validPath(A, X, tooLong.subList(1, tooLong.size()).stream().toList())).isNull();
    }

    @Test
    void anAdvertIsBoundedAndItsBadEntriesCounted() {
        Map<String, List<String>> raw = new LinkedHashMap<>();
        raw.put(X, List.of(B, X)); // bad: not from A
        for (int i = 0; i < RouteTable.MAX_HUBS_PER_LINK + 5; i++) {
            String h = String.format("%040x", i + 1000);
            raw.put(h, List.of(A, h));
        }
        RouteTable.Advert adv = RouteTable.validate(SELF, A, raw);
        assertThat(adv.bad()).isEqualTo(1);
        assertThat(adv.paths()).hasSize(RouteTable.MAX_HUBS_PER_LINK);
        assertThat(adv.excess()).isEqualTo(5);
    }

    @Test
    void samePathsComparesPathsAndLinks() {
        HubLink a = link(A, Map.of());
        HubLink a2 = link(A, Map.of());
        Map<String, RouteTable.Route> t1 = RouteTable.compute(SELF, List.of(a));
        assertThat(RouteTable.samePaths(t1, RouteTable.compute(SELF, List.of(a)))).isTrue();
        assertThat(RouteTable.samePaths(t1, RouteTable.compute(SELF, List.of(a2)))).isFalse();
        assertThat(RouteTable.samePaths(t1, Map.of())).isFalse();
    }
}
