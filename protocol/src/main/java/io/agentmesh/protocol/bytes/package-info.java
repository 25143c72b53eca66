/**
 * The one bounded byte codec of agentmesh's hand-written binary formats:
 * {@link io.agentmesh.protocol.bytes.BoundedReader} and {@link io.agentmesh.protocol.bytes.BoundedWriter},
 * big-endian, every length and count limited, every failure a {@link io.agentmesh.protocol.bytes.MalformedException}
 * naming its field. Each format (relay messages and records,
 * node certificates, consensus bytes, stored cursors and certificate lists) states its layout and tags where it is
 * defined and uses these two for the bytes. Automerge's own LEB128 chunks are a different format and keep their own
 * reader in crdt-state.
 *
 * <p>{@link io.agentmesh.protocol.bytes.Bytes} is the immutable byte value the ids and keys hold, so that equality,
 * hashing, order and hex are written once.
 */
package io.agentmesh.protocol.bytes;
