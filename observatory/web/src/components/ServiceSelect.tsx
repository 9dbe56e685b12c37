/** The "Service" filter of the search forms: every known service, plus the current value if it is not known. */
export function ServiceSelect(props: {
  value: string;
  services: readonly { name: string }[] | undefined;
  onChange: (service: string) => void;
}) {
  const { value, services = [], onChange } = props;
  return (
    <label>
      <span>Service</span>
      <select name="service" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">all services</option>
        {services.map((s) => (
          <option key={s.name} value={s.name}>
            {s.name}
          </option>
        ))}
        {value && !services.some((s) => s.name === value) ? <option value={value}>{value}</option> : null}
      </select>
    </label>
  );
}
