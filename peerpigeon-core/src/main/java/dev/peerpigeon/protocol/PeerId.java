package dev.peerpigeon.protocol;

import java.security.SecureRandom;

/** Peer identifiers: 40 hex digits (20 bytes). Case is preserved and significant, as in the reference. */
public final class PeerId {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private PeerId() {
    }

    /** True when {@code id} is exactly 40 characters of [0-9a-fA-F]. */
    public static boolean isValid(String id) {
        if (id == null || id.length() != 40) {
            return false;
        }
        for (int i = 0; i < 40; i++) {
            if (hexValue(id.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** A fresh random id (lowercase hex) from SecureRandom. */
    public static String generate() {
        byte[] bytes = new byte[20];
        RANDOM.nextBytes(bytes);
        char[] out = new char[40];
        for (int i = 0; i < 20; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[bytes[i] & 0xf];
        }
        return new String(out);
    }

    /**
     * The reference's "closeness" measure: the sum over the hex positions of the XOR of the two digits.
     * Used to pick which peers receive a goodbye.
     */
    public static int xorDistance(String a, String b) {
        int sum = 0;
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            sum += hexValue(a.charAt(i)) ^ hexValue(b.charAt(i));
        }
        return sum;
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
