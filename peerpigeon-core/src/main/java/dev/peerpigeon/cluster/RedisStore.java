package dev.peerpigeon.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's only contact with Lettuce (its types stay in this class): one command connection and one pub/sub
 * connection to the cluster's Redis, both asynchronous. Lettuce reconnects them on its own (every 500 ms) and
 * resubscribes the pub/sub connection; while a connection is down its commands fail at once
 * ({@code REJECT_COMMANDS}) instead of queueing, and at most {@value #MAX_QUEUED} commands wait for replies, so
 * nothing accumulates while Redis is away. Only the first connection is made by hand ({@link #connect}; the caller
 * retries it).
 *
 * <p>Threads: thread-safe (Lettuce connections are); listener callbacks come on Lettuce's event loop threads.
 */
final class RedisStore {
    static final int MAX_QUEUED = 65_536;
    /** Writes per flush at most, in a burst. */
    private static final int FLUSH_AFTER = 256;

    /** What the cluster hears from the store (on Lettuce threads). */
    interface Listener {
        void message(String channel, String text);

        /** A subscription is active: the first one, or after a reconnect (events may have been missed). */
        void subscribed(String channel);

        void disconnected();
    }

    /**
     * One heartbeat: records {@code ARGV[1]}'s beat at Redis time, purges nodes silent for {@code ARGV[2]} ms (their
     * peer hash goes and {@code ["G", node]} is published), and returns {@code {fresh, liveNodes}}: fresh is 1 when
     * the node was not registered (first beat, Redis restarted empty, or purged after an outage).
     */
    private static final String BEAT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local fresh = redis.call('ZADD', KEYS[1], now, ARGV[1])
            local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
            for _, d in ipairs(dead) do
              redis.call('ZREM', KEYS[1], d)
              redis.call('DEL', ARGV[3] .. 'peers:' .. d)
              redis.call('PUBLISH', ARGV[3] .. 'events', cjson.encode({'G', d}))
            end
            return {fresh, redis.call('ZRANGE', KEYS[1], 0, -1)}
            """;

    private final RedisURI uri;
    private final ClientResources resources;
    private final RedisClient client;
    private final Listener listener;
    private final String[] channels;
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;

    RedisStore(String url, Listener listener, String... channels) {
        this.uri = RedisURI.create(url);
        this.uri.setTimeout(Duration.ofSeconds(2));
        this.listener = listener;
        this.channels = channels.clone();
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.constant(Duration.ofMillis(500)))
                .nettyCustomizer(new NettyCustomizer() {
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        // Signals are published from the transport threads, each write a task on the connection's
                        // event loop with its own flush (a write(2) to Redis, one read(2) there). The handler
                        // flushes once after the tasks queued so far: one write per burst, no added delay.
                        channel.pipeline().addFirst(new FlushConsolidationHandler(FLUSH_AFTER, true));
                    }
                }).build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(MAX_QUEUED)
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(2)))
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                listener.disconnected();
            }
        });
    }

    /** Opens both connections and subscribes; fails (and closes what opened) when Redis cannot be reached. */
    CompletionStage<Void> connect() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, err) -> {
            if (err != null) {
                done.completeExceptionally(err);
                return;
            }
            client.connectPubSubAsync(StringCodec.UTF8, uri).whenComplete((p, err2) -> {
                if (err2 != null) {
                    c.closeAsync();
                    done.completeExceptionally(err2);
                    return;
                }
                p.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String message) {
                        listener.message(channel, message);
                    }

                    @Override
                    public void subscribed(String channel, long count) {
                        listener.subscribed(channel);
                    }
                });
                commands = c;
                pubsub = p;
                p.async().subscribe(channels);
                done.complete(null);
            });
        });
        return done;
    }

    private RedisAsyncCommands<String, String> cmd() {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null) {
            throw new IllegalStateException("not connected to Redis");
        }
        return c.async();
    }

    /** See {@link #BEAT}: {@code [fresh (Long), live node ids (List)]}. */
    CompletionStage<List<Object>> beat(String beatsKey, String node, long ttlMillis, String prefix) {
        return call(() -> cmd().<List<Object>>eval(BEAT, ScriptOutputType.MULTI, new String[]{beatsKey}, node,
                Long.toString(ttlMillis), prefix));
    }

    CompletionStage<Map<String, String>> hgetall(String key) {
        return call(() -> cmd().hgetall(key));
    }

    CompletionStage<Long> hset(String key, Map<String, String> fields) {
        return call(() -> cmd().hset(key, fields));
    }

    CompletionStage<Long> hdel(String key, String field) {
        return call(() -> cmd().hdel(key, field));
    }

    CompletionStage<Long> del(String key) {
        return call(() -> cmd().del(key));
    }

    CompletionStage<Long> zrem(String key, String member) {
        return call(() -> cmd().zrem(key, member));
    }

    CompletionStage<Long> publish(String channel, String message) {
        return call(() -> cmd().publish(channel, message));
    }

    private static <T> CompletionStage<T> call(java.util.function.Supplier<CompletionStage<T>> command) {
        try {
            return command.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Closes the connections and Lettuce's threads (bounded). */
    void close() {
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        StatefulRedisConnection<String, String> c = commands;
        if (p != null) {
            p.close();
        }
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
