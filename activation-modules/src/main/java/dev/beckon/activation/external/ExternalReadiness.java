package dev.beckon.activation.external;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Durations;
import java.time.Duration;
import java.util.List;

/**
 * The optional verbs of the external-module protocol: {@code ready}, called after {@code activate}
 * until the instance is ready, and {@code health}, called by {@code status} for a running instance.
 * A module that does not know them exits 0, as the protocol asks for every unknown verb: its instances
 * are ready once activated and healthy while they run, as before the verbs existed.
 */
final class ExternalReadiness {
    static final String READY = "ready";
    static final String HEALTH = "health";
    /** {@code EX_TEMPFAIL}: "not ready yet, ask again". */
    static final int NOT_YET = 75;
    private static final Duration ASK_AGAIN_AFTER = Duration.ofMillis(200);

    private ExternalReadiness() {}

    interface Call {
        ModuleCall.Result run(String operation) throws ActivationException;
    }

    /**
     * Calls {@code ready} until it exits 0, for no longer than the instance's ready timeout.
     *
     * @throws ActivationException when it exits with another code than 0 or {@value #NOT_YET}, or keeps saying "not yet"
     */
    static void awaitReady(ServiceInstance instance, String type, Call call) throws ActivationException {
        Duration timeout = instance.readiness().timeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ModuleCall.Result result = call.run(READY);
            if (result.exitCode() == 0) {
                return;
            }
            if (result.exitCode() != NOT_YET) {
                throw new ActivationException(instance.id(), type + " ready says the instance will not be ready (exit code "
                        + result.exitCode() + ")" + said(result), result.tail(), null);
            }
            if (System.nanoTime() + ASK_AGAIN_AFTER.toNanos() > deadline) {
                throw new ActivationException(instance.id(), type + " ready still said \"not yet\" (exit code " + NOT_YET
                        + ") after its ready-timeout of " + Durations.format(timeout) + said(result), result.tail(), null);
            }
            try {
                Thread.sleep(ASK_AGAIN_AFTER.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ActivationException(instance.id(), "interrupted while waiting for " + type + " ready", e);
            }
        }
    }

    /** The status, made unhealthy with the module's last words when {@code health} exits with another code than 0. */
    static InstanceStatus withHealthVerb(InstanceStatus status, Call call) throws ActivationException {
        ModuleCall.Result result = call.run(HEALTH);
        if (result.exitCode() == 0) {
            return status;
        }
        return new InstanceStatus(status.presence(), InstanceStatus.Activity.UNHEALTHY, status.drift(),
                (status.detail().isEmpty() ? "" : status.detail() + "; ") + "health exited with " + result.exitCode() + said(result));
    }

    /** The module's last line: of its answer on standard output, else of what it wrote to standard error. */
    private static String said(ModuleCall.Result result) {
        List<String> answer = result.answer().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        String last = !answer.isEmpty() ? answer.get(answer.size() - 1)
                : result.tail().isEmpty() ? "" : result.tail().get(result.tail().size() - 1);
        return last.isEmpty() ? "" : ": " + dev.beckon.models.Messages.printable(last);
    }
}
