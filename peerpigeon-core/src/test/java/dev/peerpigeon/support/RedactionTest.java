package dev.peerpigeon.support;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionTest {

    @Test
    void userInfoTheHubPathSecretAndSecretParametersAreMasked() {
        URI u = URI.create("ws://user:pa55@hub.example:3000/hub/s3cret-key?hubSecret=s3cret-key&peerId=ab&x=1");
        assertThat(Redaction.toString(u)).isEqualTo("ws://***@hub.example:3000/hub/***?hubSecret=***&peerId=ab&x=1");
        assertThat(Redaction.uri(u)).isEqualTo(URI.create("ws://***@hub.example:3000/hub/***?hubSecret=***&peerId=ab&x=1"));
        assertThat(Redaction.toString(URI.create("wss://hub.example/?token=abc&apiSecret=def&password=ghi&ok=1")))
                .isEqualTo("wss://hub.example/?token=***&apiSecret=***&password=***&ok=1");
        assertThat(Redaction.target("/hub/s3cret-key?peerId=ab&hubSecret=s3cret-key"))
                .isEqualTo("/hub/***?peerId=ab&hubSecret=***");
    }

    @Test
    void uriWithoutCredentialsIsUnchanged() {
        for (String s : new String[] {"ws://127.0.0.1:3000", "ws://h:1/", "ws://h:1/hub", "ws://h:1/hubba?peerId=ab",
                "ws://h:1/a/hub/b", "wss://[::1]:443/x?y=z&&w"}) {
            assertThat(Redaction.toString(URI.create(s))).isEqualTo(s);
        }
        assertThat(Redaction.uri(null)).isNull();
        assertThat(Redaction.toString(URI.create("mailto:someone@example.com"))).isEqualTo("***");
    }

    @Test
    void onlyTheExactHubPathFormIsACredential() {
        assertThat(Redaction.isHubSecretPath("/hub/abc")).isTrue();
        assertThat(Redaction.isHubSecretPath("/hub/")).isFalse();
        assertThat(Redaction.isHubSecretPath("/hub")).isFalse();
        assertThat(Redaction.isHubSecretPath("/hubba")).isFalse();
        assertThat(Redaction.isHubSecretPath("/hub/a/b")).isFalse();
        assertThat(Redaction.isHubSecretPath("/x/hub/abc")).isFalse();
    }
}
