/** One outbox entry's key among deliveries under way: its channel and its instance (an instance may go to several channels). */
export function deliveryKey(channel: string, instance: string): string {
  return `${channel}|${instance}`;
}
