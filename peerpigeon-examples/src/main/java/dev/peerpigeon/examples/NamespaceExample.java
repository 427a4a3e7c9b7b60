package dev.peerpigeon.examples;

import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Hub mesh namespaces, programmatically: the default, a custom one in the builder, one set before
 * start, the refusal while running, and reading it back from the stats.
 */
public final class NamespaceExample {
    private static final Logger log = LoggerFactory.getLogger(NamespaceExample.class);

    private NamespaceExample() {
    }

    /** Runs the walkthrough and returns one line per step (also logged). */
    public static List<String> run() {
        List<String> lines = new ArrayList<>();

        PeerPigeonServer byDefault = PeerPigeonServer.builder().port(0).host("127.0.0.1").isHub(true)
                .autoConnect(false).build();
        lines.add("default: " + byDefault.getHubMeshNamespace());

        PeerPigeonServer custom = PeerPigeonServer.builder().port(0).host("127.0.0.1").isHub(true)
                .autoConnect(false).hubMeshNamespace("production-mesh").build();
        lines.add("builder: " + custom.getHubMeshNamespace());

        custom.setHubMeshNamespace("staging-mesh");
        lines.add("set before start: " + custom.getHubMeshNamespace());

        try (custom) {
            custom.start();
            try {
                custom.setHubMeshNamespace("other-mesh");
                lines.add("changed while running (unexpected)");
            } catch (PeerPigeonException.StateException e) {
                lines.add("refused while running: " + e.getMessage());
            }
            lines.add("stats: " + custom.getStats().hubMeshNamespace());
        }
        lines.forEach(log::info);
        return lines;
    }

    public static void main(String[] args) {
        run();
    }
}
