package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each environment variable, and each bad value naming its variable. */
class EnvironmentConfigTest {

    private static ServerConfig read(String name, String value) {
        return EnvironmentConfig.read(Map.of(name, value)).buildConfig();
    }

    @Test
    void redisUrlMakesAClusterNodeAndItsPasswordIsNeverShown() {
        ServerConfig c = read("REDIS_URL", " rediss://app:pw-123@redis.internal:6380/2 ");
        assertThat(c.redisUrl()).isEqualTo("rediss://app:pw-123@redis.internal:6380/2");
        assertThat(c.toString()).contains("redisUrl=rediss://***@redis.internal:6380/2").doesNotContain("pw-123");
        assertThat(read("REDIS_URL", "redis://127.0.0.1:6379").redisUrl()).isEqualTo("redis://127.0.0.1:6379");
        assertThat(read("PORT", "1").redisUrl()).isNull();
        assertThatThrownBy(() -> read("REDIS_URL", "http://app:pw-123@redis:1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("REDIS_URL").hasMessageContaining("redis://")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw-123"));
        assertThatThrownBy(() -> read("REDIS_URL", "redis://pw 123@"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw 123"));
    }

    @Test
    void eachVariableSetsItsValue() {
        assertThat(read("PORT", "4001").listen().port()).isEqualTo(4001);
        assertThat(read("HOST", " 0.0.0.0 ").listen().host()).isEqualTo("0.0.0.0");
        assertThat(read("MAX_CONNECTIONS", "50").limits().maxConnections()).isEqualTo(50);
        assertThat(read("CORS_ORIGIN", "https://app.example").listen().corsOrigin()).isEqualTo("https://app.example");
        assertThat(read("HUB_MESH_NAMESPACE", "prod-mesh").hub().namespace()).isEqualTo("prod-mesh");
        assertThat(read("IS_HUB", "yes").hub().enabled()).isTrue();
        assertThat(read("BOOTSTRAP", "ws://a:1").hub().bootstrap()).containsExactly(URI.create("ws://a:1"));
        assertThat(read("BOOTSTRAP_HUBS", "ws://b:2,,wss://c").hub().bootstrap())
                .containsExactly(URI.create("ws://b:2"), URI.create("wss://c"));
        assertThat(read("HUB_ID", "ab".repeat(20)).hub().id()).isEqualTo("ab".repeat(20));
        assertThat(read("HUB_MESH_MIN_PEERS", "0").hub().minPeers()).isZero();
        assertThat(read("HUB_MESH_MAX_PEERS", "5").hub().maxPeers()).isEqualTo(5);
        assertThat(read("HUB_ADVERTISE_URI", "wss://hub.example.com:8443").hub().advertiseUri())
                .isEqualTo(java.net.URI.create("wss://hub.example.com:8443"));
        assertThat(read("AUTO_CONNECT", "0").hub().autoConnect()).isFalse();
        assertThat(read("HUB_SECRET", "s3cret-value").hub().secret()).isEqualTo("s3cret-value");
        assertThat(read("ALLOW_UNAUTHENTICATED_HUBS", "TRUE").hub().allowUnauthenticatedHubs()).isTrue();
        assertThat(read("VERBOSE_LOGGING", "1").verboseLogging()).isTrue();
        assertThat(read("PEER_TIMEOUT", "7000").liveness().peerTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(read("PING_INTERVAL", "3000").liveness().pingInterval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(read("MAX_MISSED_PINGS", "4").liveness().pingDeadline()).isEqualTo(Duration.ofSeconds(21));
        assertThat(read("MAX_CONNECTIONS_PER_IP", "0").limits().maxConnectionsPerIp()).isZero();
        assertThat(read("MAX_CONNECTIONS_PER_IP_PER_SECOND", "9").limits().maxConnectionsPerIpPerSecond()).isEqualTo(9);
        ServerConfig.Limits rate = read("MAX_MESSAGES_PER_SECOND", "30").limits();
        assertThat(rate.maxMessagesPerSecond()).isEqualTo(30);
        assertThat(rate.messageBurst()).as("burst is twice the rate").isEqualTo(60);
        assertThat(read("WORKER_THREADS", "3").listen().workerThreads()).isEqualTo(3);
        assertThat(read("HANDSHAKE_TIMEOUT", "2500").liveness().handshakeTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(read("STATUS_PAGE", "false").statusPage()).isFalse();
        assertThat(read("TRUSTED_PROXIES", "10.0.0.0/8, ::1").trustedProxies()).containsExactly("10.0.0.0/8", "::1");
        assertThatThrownBy(() -> read("TRUSTED_PROXIES", "10.0.0.0/8,proxy")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("TRUSTED_PROXIES").hasMessageContaining("'proxy'");
    }

    @Test
    void bothBootstrapListsAreMergedInOrder() {
        ServerConfig c = EnvironmentConfig.read(Map.of("BOOTSTRAP", "ws://a:1", "BOOTSTRAP_HUBS", "ws://b:2"))
                .buildConfig();
        assertThat(c.hub().bootstrap()).containsExactly(URI.create("ws://a:1"), URI.create("ws://b:2"));
    }

    @Test
    void unsetAndBlankVariablesKeepTheDefaults() {
        ServerConfig blank = EnvironmentConfig.read(Map.of("PORT", " ", "HOST", "", "IS_HUB", "  ")).buildConfig();
        ServerConfig defaults = PeerPigeonServer.builder().buildConfig();
        assertThat(blank.listen()).isEqualTo(defaults.listen());
        assertThat(blank.limits()).isEqualTo(defaults.limits());
        assertThat(blank.liveness()).isEqualTo(defaults.liveness());
        assertThat(blank.hub().enabled()).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "PORT|abc", "PORT|70000", "HOST|' '", "MAX_CONNECTIONS|-1", "CORS_ORIGIN|' '",
            "HUB_MESH_NAMESPACE|Bad_NS", "IS_HUB|maybe", "BOOTSTRAP|ftp://x", "BOOTSTRAP_HUBS|not a uri",
            "HUB_ID|123", "HUB_ADVERTISE_URI|ftp://x", "HUB_MESH_MIN_PEERS|-1", "HUB_MESH_MAX_PEERS|0", "HUB_ADVERTISE_URI|ws://h:1/?hubSecret=x", "AUTO_CONNECT|sometimes", "HUB_SECRET|short", "ALLOW_UNAUTHENTICATED_HUBS|2",
            "VERBOSE_LOGGING|loud", "PEER_TIMEOUT|0", "PING_INTERVAL|0", "MAX_MISSED_PINGS|0", "MAX_CONNECTIONS_PER_IP|-1",
            "MAX_CONNECTIONS_PER_IP_PER_SECOND|x", "MAX_MESSAGES_PER_SECOND|-5", "WORKER_THREADS|0",
            "HANDSHAKE_TIMEOUT|5"})
    void aBadValueNamesItsVariable(String name, String value) {
        if (value.isBlank()) {
            return; // blank means unset (covered above); kept in the table so every variable is listed
        }
        assertThatThrownBy(() -> read(name, value)).isInstanceOf(ConfigException.class).hasMessageContaining(name);
    }

    @Test
    void aBadUriWithAPasswordIsNotEchoed() {
        assertThatThrownBy(() -> read("BOOTSTRAP", "ftp://user:hunter2pass@host"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BOOTSTRAP")
                .hasMessageNotContaining("hunter2pass");
        assertThatThrownBy(() -> read("BOOTSTRAP", "ws://u:hunter2pass@ho st"))
                .hasMessageContaining("BOOTSTRAP").hasMessageNotContaining("hunter2pass");
    }

    @Test
    void missingOrBadTlsFilesNameTheirVariable() throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of("target", "tls-env-test");
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Path garbage = dir.resolve("garbage.pem");
        java.nio.file.Files.writeString(garbage, "not a certificate\n");
        String missing = dir.resolve("missing.pem").toString();
        assertThatThrownBy(() -> EnvironmentConfig.read(Map.of("TLS_CERT_FILE", missing, "TLS_KEY_FILE", garbage.toString())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TLS_CERT_FILE");
        assertThatThrownBy(() -> EnvironmentConfig.read(Map.of("TLS_CERT_FILE", garbage.toString(), "TLS_KEY_FILE", missing)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TLS_CERT_FILE"); // the certificate is checked first
        assertThatThrownBy(() -> EnvironmentConfig.read(Map.of("TLS_CERT_FILE", garbage.toString())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TLS_KEY_FILE");
        assertThatThrownBy(() -> EnvironmentConfig.read(Map.of("TLS_KEYSTORE", garbage.toString(),
                "TLS_KEYSTORE_PASSWORD", "s3cret-pw")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TLS_KEYSTORE")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret-pw"));
    }
}
