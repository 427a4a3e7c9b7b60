package dev.peerpigeon.runtime;

import dev.peerpigeon.ServerEvent;
import dev.peerpigeon.ServerListener;
import dev.peerpigeon.federation.MeshObserver;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Delivers public {@link ServerEvent}s to the listeners, in the order they were added, and turns signaling and
 * hub-mesh callbacks into events. A failing listener is logged and skipped. Thread-safe: the listener list is
 * copy-on-write; events fire on the thread that caused them (transport, mesh, lifecycle).
 */
public final class EventDispatcher {
    private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);

    private final List<ServerListener> listeners = new CopyOnWriteArrayList<>();

    public void add(ServerListener l) {
        listeners.add(l);
    }

    public void remove(ServerListener l) {
        listeners.remove(l);
    }

    public void fire(ServerEvent event) {
        for (ServerListener l : listeners) {
            try {
                l.onEvent(event);
                dispatch(l, event);
            } catch (RuntimeException e) {
                log.warn("Listener {} failed on {}", l, event.getClass().getSimpleName(), e);
            }
        }
    }

    private static void dispatch(ServerListener l, ServerEvent event) {
        if (event instanceof ServerEvent.Started e) {
            l.started(e);
        } else if (event instanceof ServerEvent.Stopped e) {
            l.stopped(e);
        } else if (event instanceof ServerEvent.Error e) {
            l.error(e);
        } else if (event instanceof ServerEvent.PeerConnected e) {
            l.peerConnected(e);
        } else if (event instanceof ServerEvent.PeerDisconnected e) {
            l.peerDisconnected(e);
        } else if (event instanceof ServerEvent.PeerAnnounced e) {
            l.peerAnnounced(e);
        } else if (event instanceof ServerEvent.PeerGoodbye e) {
            l.peerGoodbye(e);
        } else if (event instanceof ServerEvent.HubRegistered e) {
            l.hubRegistered(e);
        } else if (event instanceof ServerEvent.HubUnregistered e) {
            l.hubUnregistered(e);
        } else if (event instanceof ServerEvent.BootstrapConnected e) {
            l.bootstrapConnected(e);
        } else if (event instanceof ServerEvent.BootstrapDisconnected e) {
            l.bootstrapDisconnected(e);
        } else if (event instanceof ServerEvent.HubDiscovered e) {
            l.hubDiscovered(e);
        } else if (event instanceof ServerEvent.BootstrapAbandoned e) {
            l.bootstrapAbandoned(e);
        }
    }

    /** Signaling callbacks as events. */
    SignalingObserver signalingObserver() {
        return new SignalingObserver() {
            @Override
            public void peerConnected(PeerSession s, int total) {
                fire(new ServerEvent.PeerConnected(s.peerId(), total));
            }

            @Override
            public void peerDisconnected(PeerSession s, int code, String reason, int total) {
                fire(new ServerEvent.PeerDisconnected(s.peerId(), code, reason, total));
            }

            @Override
            public void peerAnnounced(PeerSession s, String networkName, boolean isHub) {
                fire(new ServerEvent.PeerAnnounced(s.peerId(), networkName, isHub));
            }

            @Override
            public void peerGoodbye(PeerSession s) {
                fire(new ServerEvent.PeerGoodbye(s.peerId()));
            }

            @Override
            public void hubRegistered(PeerSession s, int totalHubs) {
                fire(new ServerEvent.HubRegistered(s.peerId(), totalHubs));
            }

            @Override
            public void hubUnregistered(PeerSession s, int totalHubs) {
                fire(new ServerEvent.HubUnregistered(s.peerId(), totalHubs));
            }
        };
    }

    /** Hub mesh callbacks as events. */
    MeshObserver meshObserver() {
        return new MeshObserver() {
            @Override
            public void hubRegistered(String hubId, int totalHubs) {
                fire(new ServerEvent.HubRegistered(hubId, totalHubs));
            }

            @Override
            public void hubUnregistered(String hubId, int totalHubs) {
                fire(new ServerEvent.HubUnregistered(hubId, totalHubs));
            }

            @Override
            public void bootstrapConnected(URI uri) {
                fire(new ServerEvent.BootstrapConnected(uri));
            }

            @Override
            public void bootstrapDisconnected(URI uri, int code, String reason) {
                fire(new ServerEvent.BootstrapDisconnected(uri, code, reason));
            }

            @Override
            public void hubDiscovered(String hubId, String via, String data) {
                fire(new ServerEvent.HubDiscovered(hubId, via, data));
            }

            @Override
            public void bootstrapAbandoned(URI uri, int attempts) {
                fire(new ServerEvent.BootstrapAbandoned(uri, attempts));
            }
        };
    }
}
