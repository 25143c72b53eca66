package io.agentmesh.node.llm.provider;

import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;

/** A 2xx answer that is not a usable result: why, and any usage it did state. */
final class BadAnswer extends Exception {
    final ErrorClass error;
    final Usage usage;

    BadAnswer(ErrorClass error, String message, Usage usage) {
        super(message, null, false, false);
        this.error = error;
        this.usage = usage;
    }

    static BadAnswer malformed(String message) {
        return new BadAnswer(ErrorClass.MALFORMED_RESPONSE, message, Usage.NONE);
    }
}
