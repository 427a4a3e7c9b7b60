package dev.peerpigeon.signaling;

import java.util.function.Function;

/**
 * A text frame sent to many connections (discovery fan-out). The transport encodes it once, on the first
 * send, and every later send reuses that wire form, so a fan-out to N receivers costs one UTF-8 encoding
 * and one frame header instead of N.
 *
 * <p>Thread-safe: the text is immutable; the cached wire form is published through a volatile field. Two
 * threads racing on the first send may both encode; both results are equal and either may be kept.
 */
public final class SharedFrame {
    private final String text;
    private volatile Object wire;

    private SharedFrame(String text) {
        this.text = text;
    }

    public static SharedFrame of(String text) {
        return new SharedFrame(text);
    }

    public String text() {
        return text;
    }

    /**
     * The transport's encoded form of this frame, built by {@code encoder} on first use and cached. Only one
     * transport encoding is used per process, so the cache holds one form.
     */
    @SuppressWarnings("unchecked")
    public <T> T wire(Function<String, T> encoder) {
        Object w = wire;
        if (w == null) {
            w = encoder.apply(text);
            wire = w;
        }
        return (T) w;
    }
}
