package dev.peerpigeon.federation;

import dev.peerpigeon.support.SerialThread;
import org.slf4j.LoggerFactory;

/**
 * The single "mesh" thread: every directory, route and dialer change runs on it, in order. Any thread may post.
 * A task's failure is logged (throttled) and does not stop the thread. Tasks mostly apply what a link sent.
 */
final class MeshThread extends SerialThread {
    MeshThread(String name) {
        super(name, LoggerFactory.getLogger(HubMesh.class), "Hub mesh task");
    }
}
