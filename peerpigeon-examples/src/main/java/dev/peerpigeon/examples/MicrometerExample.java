package dev.peerpigeon.examples;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.micrometer.PeerPigeonMeterBinder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The server's meters in the application's own Micrometer registry (here a Prometheus one, which the application
 * would serve on its own {@code /metrics}). peerpigeon-core needs Micrometer only when you use the binder: add
 * {@code micrometer-core} (or a registry that brings it) to your application.
 *
 * <p>Threads: built and started by the caller; the registry reads the meters on whatever thread scrapes it.
 */
public final class MicrometerExample implements AutoCloseable {
    public final PeerPigeonServer server;
    public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public MicrometerExample(int port) {
        server = PeerPigeonServer.builder().port(port).host("127.0.0.1").build();
        new PeerPigeonMeterBinder(server).bindTo(registry);
    }

    public MicrometerExample start() {
        server.start();
        return this;
    }

    /** What the application's scrape endpoint would answer (Prometheus text). */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        server.stop();
        registry.close();
    }

    public static void main(String[] args) {
        try (MicrometerExample app = new MicrometerExample(3000).start()) {
            org.slf4j.LoggerFactory.getLogger(MicrometerExample.class).info("Micrometer meters:\n{}", app.scrape());
        }
    }
}
