package dev.peerpigeon.federation;

import com.google.gson.JsonParser;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.peerpigeon.federation.Fakes.id;
import static org.assertj.core.api.Assertions.assertThat;

class LinkFramesTest {
    private static final String SELF = id('0');
    private static final String A = id('a');
    private static final String X = id('e');

    @Test
    void theAnnounceParsesAsAHubAnnounceWithItsLimit() throws Exception {
        String frame = LinkFrames.announce("ns \"q\"", "0.0.0.0", 3000, 1_064_960, 5);
        Inbound msg = MessageCodec.parse(frame);
        assertThat(msg.type()).isEqualTo("announce");
        assertThat(msg.networkName()).isEqualTo("ns \"q\"");
        assertThat(msg.data()).contains(HubMesh.CAPABILITY);
        assertThat(JsonParser.parseString(msg.data()).getAsJsonObject().get("isHub").getAsBoolean()).isTrue();
        assertThat(LinkFrames.announcedLimit(msg.data())).isEqualTo(1_064_960);
    }

    @Test
    void routesRoundTripAndStayWithinTheirBudget() throws Exception {
        Map<String, List<String>> paths = new LinkedHashMap<>();
        paths.put(A, List.of(SELF, A));
        paths.put(X, List.of(SELF, A, X));
        LinkFrames.Advert adv = LinkFrames.routes(SELF, paths, 10_000);
        assertThat(adv.left()).isZero();
        Inbound msg = MessageCodec.parse(adv.frame());
        assertThat(msg.type()).isEqualTo("hub-routes");
        Map<String, List<String>> back = LinkFrames.routePaths(msg.data());
        assertThat(back).containsEntry(SELF, List.of(SELF)).containsEntry(A, List.of(SELF, A))
                .containsEntry(X, List.of(SELF, A, X));
        // the farthest hub is left out first when the budget is short
        LinkFrames.Advert capped = LinkFrames.routes(SELF, paths, adv.frame().length() - 60); // the budget excludes the closing originHub
        assertThat(capped.left()).isEqualTo(1);
        assertThat(LinkFrames.routePaths(MessageCodec.parse(capped.frame()).data())).containsKey(A).doesNotContainKey(X);
    }

    @Test
    void syncAndDeparturesRoundTrip() throws Exception {
        Inbound sync = MessageCodec.parse(LinkFrames.sync(List.of(A, X)));
        assertThat(sync.type()).isEqualTo("hub-sync");
        assertThat(LinkFrames.syncOrigins(sync.data(), 10)).containsExactlyInAnyOrder(A, X);
        assertThat(LinkFrames.syncOrigins(sync.data(), 1)).isNull();
        assertThat(LinkFrames.syncOrigins("{\"origins\":[\"nope\",1,\"" + A + "\"]}", 10)).containsExactly(A);

        LinkFrames.Entry bye = LinkFrames.Entry.parse(LinkFrames.departure(A, true));
        assertThat(bye.peerId()).isEqualTo(A);
        assertThat(bye.goodbye()).isTrue();
        assertThat(bye.isHub()).isFalse();
        assertThat(LinkFrames.Entry.parse(LinkFrames.departure(A, false)).goodbye()).isFalse();
        assertThat(LinkFrames.Entry.parse(LinkFrames.gone(A)).peerId()).isEqualTo(A);
        assertThat(LinkFrames.Entry.parse("{\"isHub\":true}")).isNull();
        assertThat(LinkFrames.Entry.parse("not json")).isNull();
    }

    @Test
    void discoveryDataDropsCacheInternalsAndForcesIsHubFalse() {
        LinkFrames.Entry e = LinkFrames.Entry.parse("{\"peerId\":\"" + A + "\",\"isHub\":true,\"cachedAt\":1,\"nick\":\"x\"}");
        assertThat(e.isHub()).isTrue();
        assertThat(e.discovery()).isEqualTo("{\"peerId\":\"" + A + "\",\"isHub\":false,\"nick\":\"x\"}");
    }

    @Test
    void theHubHeaderSaysIdNamespaceCapabilityAndLimit() {
        LinkFrames.HubHeader h = LinkFrames.HubHeader.parse(A + " prod " + HubMesh.CAPABILITY + " maxFrame=70000");
        assertThat(h.hubId()).isEqualTo(A);
        assertThat(h.namespace()).isEqualTo("prod");
        assertThat(h.smart()).isTrue();
        assertThat(h.maxFrame()).isEqualTo(70000);
        assertThat(LinkFrames.HubHeader.parse("short prod " + HubMesh.CAPABILITY).smart()).isFalse();
        assertThat(LinkFrames.HubHeader.parse(A + " prod").smart()).isFalse();
    }

    @Test
    void addressesRideInTheRouteAdvertAndOnlyDialableOnesAreRead() throws Exception {
        Map<String, String> addrs = new LinkedHashMap<>();
        addrs.put(SELF, "ws://10.0.0.1:3000");
        addrs.put(A, "wss://a.example:8443/mesh");
        LinkFrames.Advert adv = LinkFrames.routes(SELF, Map.of(A, List.of(SELF, A)), addrs, 10_000);
        Inbound msg = MessageCodec.parse(adv.frame());
        assertThat(LinkFrames.routePaths(msg.data())).containsKey(A);
        assertThat(LinkFrames.addresses(msg.data(), 10)).containsEntry(SELF, java.net.URI.create("ws://10.0.0.1:3000"))
                .containsEntry(A, java.net.URI.create("wss://a.example:8443/mesh"));
        String bad = "{\"routes\":{},\"addrs\":{\"" + A + "\":\"ws://u:p@h:1\",\"" + X + "\":\"ws://h:1/?hubSecret=s\","
                + "\"nothex\":\"ws://h:1\",\"" + SELF + "\":\"ftp://h\"}}";
        assertThat(LinkFrames.addresses(bad, 10)).isEmpty();
        assertThat(LinkFrames.addresses(msg.data(), 1)).hasSize(1);
        assertThat(Dialer.address(java.net.URI.create("http://h:5/hub/s3cret?peerId=x&hubSecret=y")))
                .isEqualTo(java.net.URI.create("ws://h:5"));
    }
}
