package dev.peerpigeon.cluster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The routed signal's length-prefixed encoding: every field comes back as it went, and malformed text is refused. */
class ClusterCodecTest {
    @Test
    void aSignalRoundTripsWhateverItsFieldsHold() {
        String data = "{\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\",\"note\":\"3,4;5 \u00e9 \ud83d\udc26\"}";
        String text = ClusterCodec.signal("offer", "a".repeat(40), "b".repeat(40), "net,12;x\u00e9", data);

        assertThat(ClusterCodec.parseSignal(text))
                .isEqualTo(new ClusterCodec.Signal("offer", "a".repeat(40), "b".repeat(40), "net,12;x\u00e9", data));
        assertThat(ClusterCodec.parseSignal(ClusterCodec.signal("ice-candidate", "f", "t", "", "\"\"")))
                .isEqualTo(new ClusterCodec.Signal("ice-candidate", "f", "t", "", "\"\""));
        // A signal without data (the relay forwards it as it came) stays without data.
        assertThat(ClusterCodec.parseSignal(ClusterCodec.signal("connection-rejected", "f", "t", "global", null)))
                .isEqualTo(new ClusterCodec.Signal("connection-rejected", "f", "t", "global", null));
    }

    @Test
    void malformedSignalsAreRefused() {
        for (String bad : new String[]{"S", "S5,1,1,1", "S5,1,1;offerftn", "S5,1,1,1;offer", "S5,1,1,9;offerftnet",
                "S,1,1,1;offerftn", "Sx,1,1,1;", "S99999999999,1,1,1;x", "S-1,1,1,1;x"}) {
            assertThat(ClusterCodec.parseSignal(bad)).as(bad).isNull();
        }
    }
}
