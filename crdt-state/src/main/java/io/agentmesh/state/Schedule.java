package io.agentmesh.state;

/**
 * A recurring job. The leader expands it into intents whose id derives from (schedule id, fire time), so a
 * failover never fires one twice.
 *
 * @param cron        cron expression, interpreted by the node (cron-utils)
 * @param zone        time zone id, e.g. "Europe/Berlin" or "UTC"
 * @param intentKind  kind of the intents it creates
 * @param payloadJson payload of those intents, JSON text
 * @param catchUp     what to do about fire times missed while no leader ran ("skip", "once", "all"...)
 */
public record Schedule(String id, String cron, String zone, String intentKind, String payloadJson, String catchUp,
                       long createdMillis) {
}
