package dev.peerpigeon.http;

import com.google.gson.JsonObject;

/** Snapshots the HTTP endpoints render. Implemented by the server facade; called on transport threads. */
public interface StatusSource {
    JsonObject health();

    JsonObject hubs();

    JsonObject stats();

    JsonObject hubStats();
}
