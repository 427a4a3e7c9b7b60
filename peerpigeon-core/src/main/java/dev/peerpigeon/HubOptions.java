package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.support.Redaction;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The hub mesh options of {@link PeerPigeonServer.Builder}, and the checks every option shares (split from
 * {@link ServerOptions} to keep files short). Not thread-safe: one thread fills a builder.
 *
 * @param <B> the public builder type, returned by every setter for chaining (bounded by {@link ServerOptions}, so
 *            that the setters' erased return type stays what it was before this split: binary compatible)
 */
abstract class HubOptions<B extends ServerOptions<B>> {
    boolean isHub;
    String hubMeshNamespace = ServerConfig.DEFAULT_NAMESPACE;
    String hubPeerId;
    List<URI> bootstrapHubs = List.of();
    boolean autoConnect = true;
    long reconnectIntervalMillis = 5_000;
    long maxReconnectIntervalMillis = 60_000;
    int maxReconnectAttempts = 0;
    int hubMeshMaxPeers = 3;
    int hubMeshMinPeers = 2;
    URI hubAdvertiseUri;
    int defaultBootstrapPort = ServerConfig.DEFAULT_PORT;
    String hubSecret;
    boolean allowUnauthenticatedHubs;

    abstract B self();

    /** Makes this server a hub that links with the other hubs of its namespace. Default false. */
    public B isHub(boolean on) {
        this.isHub = on;
        return self();
    }

    /** Hub mesh namespace: lowercase letters, digits, hyphens. Default "pigeonhub-mesh". */
    public B hubMeshNamespace(String namespace) {
        this.hubMeshNamespace = ServerConfig.validateNamespace(namespace);
        return self();
    }

    /** The hub's peer id (40 hex digits). Default: random from SecureRandom. */
    public B hubPeerId(String id) {
        if (id != null && !PeerId.isValid(id)) {
            throw new ConfigException("hubPeerId must be 40 hex digits, got '" + id + "'");
        }
        this.hubPeerId = id;
        return self();
    }

    /** Hubs to dial (ws:// or wss://). Default none. */
    public B bootstrapHubs(List<URI> uris) {
        List<URI> list = new ArrayList<>();
        for (URI u : uris) {
            try {
                list.add(ServerConfig.checkHubUri(u));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new ConfigException("bootstrap hub '" + (u == null ? null : Redaction.toString(u))
                        + "' is invalid: " + e.getMessage());
            }
        }
        this.bootstrapHubs = List.copyOf(list);
        return self();
    }

    /** Whether a hub dials its bootstrap hubs (and the default ws://host:3000). Default true. */
    public B autoConnect(boolean on) {
        this.autoConnect = on;
        return self();
    }

    /** First delay before redialing a lost hub link, in ms; doubles up to the cap. Default 5000. */
    public B reconnectInterval(long millis) {
        this.reconnectIntervalMillis = positive("reconnectInterval", millis);
        return self();
    }

    /** Same as {@link #reconnectInterval(long)} with a {@link Duration}. */
    public B reconnectInterval(Duration d) {
        return reconnectInterval(millis("reconnectInterval", d));
    }

    /** Cap of the redial backoff, in ms. Default 60000. */
    public B maxReconnectInterval(long millis) {
        this.maxReconnectIntervalMillis = positive("maxReconnectInterval", millis);
        return self();
    }

    /** Same as {@link #maxReconnectInterval(long)} with a {@link Duration}. */
    public B maxReconnectInterval(Duration d) {
        return maxReconnectInterval(millis("maxReconnectInterval", d));
    }

    /**
     * Redials of one hub link in a row before giving up (logged, with an event); the count resets
     * after a healthy link. 0 (default) never gives up.
     */
    public B maxReconnectAttempts(int n) {
        if (n < 0) {
            throw new ConfigException("maxReconnectAttempts must be >= 0, got " + n);
        }
        this.maxReconnectAttempts = n;
        return self();
    }

    /**
     * Most hub links a hub keeps on its own initiative: beyond it, a learned link (one the mesh maintenance dialed) is
     * refused (503) or dropped when redundant; bootstrap links always count and are never dropped. Default 3.
     */
    public B hubMeshMaxPeers(int n) {
        this.hubMeshMaxPeers = positive("hubMeshMaxPeers", n);
        return self();
    }

    /**
     * Hub links a hub tries to keep by dialing hubs it learned of from the mesh (their advertised addresses, see
     * {@link #hubAdvertiseUri}). Default 2; 0 switches the mesh maintenance off (links are then the bootstrap ones).
     */
    public B hubMeshMinPeers(int n) {
        if (n < 0) {
            throw new ConfigException("hubMeshMinPeers must be >= 0, got " + n);
        }
        this.hubMeshMinPeers = n;
        return self();
    }

    /**
     * The address other hubs dial to reach this one (behind NAT, in a container, or when it binds 0.0.0.0), told to
     * the mesh in route adverts. Default: none; then {@code ws[s]://<host>:<port>} unless the host is a wildcard, and
     * neighbours fill in the address they see. ws, wss, http or https; no credentials, no query.
     */
    public B hubAdvertiseUri(URI uri) {
        try {
            ServerConfig.checkHubUri(uri);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException("hubAdvertiseUri '" + (uri == null ? null : Redaction.toString(uri)) + "' is invalid: "
                    + (e.getMessage() == null ? "null" : e.getMessage()));
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null) {
            throw new ConfigException("hubAdvertiseUri must carry no credentials and no query (it is told to every hub)");
        }
        this.hubAdvertiseUri = uri;
        return self();
    }

    /** Port of the implicit bootstrap hub dialed when none is configured. Default 3000. */
    public B defaultBootstrapPort(int port) {
        if (port < 0 || port > 65535) {
            throw new ConfigException("defaultBootstrapPort must be 0-65535 (0 disables), got " + port);
        }
        this.defaultBootstrapPort = port;
        return self();
    }

    /**
     * Shared secret of the hub mesh. When set, hub links must present it (as a {@code hubSecret} query
     * parameter, or in the path {@code /hub/<secret>} for reference hubs) or they are refused (403 before the
     * upgrade, or close 1008 on their hub announce). Without it the server is in protected mode: see
     * {@link #allowUnauthenticatedHubs(boolean)}.
     */
    public B hubSecret(String secret) {
        if (secret != null && (secret.isEmpty() || !secret.matches("[A-Za-z0-9._~-]{8,128}"))) {
            throw new ConfigException("hubSecret must be 8-128 characters of [A-Za-z0-9._~-]");
        }
        this.hubSecret = secret;
        return self();
    }

    /**
     * Without a {@link #hubSecret(String) hub secret}, hub links and hub announces (the hub mesh namespace or
     * {@code data.isHub}) are accepted from loopback addresses only (protected mode, like Redis's). {@code true}
     * accepts them from every address without authentication (logged at WARN at start). Ignored when a secret
     * is set. Default false.
     */
    public B allowUnauthenticatedHubs(boolean on) {
        this.allowUnauthenticatedHubs = on;
        return self();
    }

    static int positive(String name, int n) {
        return (int) positive(name, (long) n);
    }

    static long positive(String name, long n) {
        if (n <= 0) {
            throw new ConfigException(name + " must be > 0, got " + n);
        }
        return n;
    }

    static long millis(String name, Duration d) {
        if (d == null) {
            throw new ConfigException(name + " must not be null");
        }
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            throw new ConfigException(name + " is out of range: " + d);
        }
    }
}
