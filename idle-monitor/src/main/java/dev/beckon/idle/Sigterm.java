package dev.beckon.idle;

import java.lang.invoke.CallSite;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Takes over SIGTERM through {@code sun.misc.Signal} (module {@code jdk.unsupported}, open to every
 * class path application), so that a stop request drains and then exits with 0 instead of running
 * the JVM's shutdown at once with exit code 143.
 *
 * <p>Reached by reflection, so compiling it raises no warning about proprietary API, and the handler
 * is made by {@link LambdaMetafactory} rather than {@code java.lang.reflect.Proxy}: a proxy class
 * costs about 25 ms of class generation at start-up, the metafactory a few.
 */
final class Sigterm {
    private Sigterm() {}

    /**
     * Runs {@code action} on a thread of the JVM's own when SIGTERM arrives, instead of the JVM's
     * default shutdown.
     *
     * @return whether the handler is installed; {@code false} on a runtime without
     *     {@code jdk.unsupported} or where the JVM keeps SIGTERM for itself ({@code -Xrs}), when the
     *     JVM's default behaviour (exit 143 after the shutdown hooks) stays
     */
    static boolean handle(Runnable action) {
        try {
            Class<?> signalType = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle received = lookup.findStatic(Sigterm.class, "received",
                    MethodType.methodType(void.class, Runnable.class, Object.class));
            CallSite factory = LambdaMetafactory.metafactory(lookup, "handle", MethodType.methodType(handlerType, Runnable.class),
                    MethodType.methodType(void.class, signalType), received, MethodType.methodType(void.class, signalType));
            Object handler = factory.getTarget().invoke(action);
            Object term = signalType.getConstructor(String.class).newInstance("TERM");
            signalType.getMethod("handle", signalType, handlerType).invoke(null, term, handler);
            return true;
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError error) {
                throw error;
            }
            return false;
        }
    }

    /** The handler's body: {@code sun.misc.SignalHandler.handle(Signal)} with the action it captured. */
    private static void received(Runnable action, Object signal) {
        action.run();
    }
}
