/**
 * A time as Go templates see one: `{{.Time.Format "2006-01-02 15:04:05"}}` formats by Go's
 * reference-time layout, in the local time zone (TZ), as Watchtower's log entries did.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

const pad = (value: number, width = 2, fill = '0'): string => String(value).padStart(width, fill);

/** The zone's abbreviation where the platform knows one (CET), else the offset (+0200). */
function zoneName(date: Date, offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'UTC';
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(date)
    .find((entry) => entry.type === 'timeZoneName')?.value;
  return part !== undefined && /^[A-Z]{2,5}$/.test(part) ? part : offset(offsetMinutes, false, false);
}

function offset(minutes: number, colon: boolean, zulu: boolean): string {
  if (zulu && minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** Layout elements, tried in this order at each position as Go's parser does. */
const CHUNK =
  /January|Jan|Monday|Mon|MST|2006|01|02|03|04|05|06|_2|15|Z07:00|Z0700|Z07|-07:00|-0700|-07|PM|pm|[.,](?:0+|9+)(?![0-9])|1|2|3|4|5/y;

export function formatGoTime(date: Date, layout: string): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const hour = date.getHours();
  const millis = pad(date.getMilliseconds(), 3);
  const element = (chunk: string): string => {
    switch (chunk) {
      case 'January':
        return MONTHS[date.getMonth()] ?? '';
      case 'Jan':
        return (MONTHS[date.getMonth()] ?? '').slice(0, 3);
      case 'Monday':
        return DAYS[date.getDay()] ?? '';
      case 'Mon':
        return (DAYS[date.getDay()] ?? '').slice(0, 3);
      case 'MST':
        return zoneName(date, offsetMinutes);
      case '2006':
        return pad(date.getFullYear(), 4);
      case '06':
        return pad(date.getFullYear() % 100);
      case '01':
        return pad(date.getMonth() + 1);
      case '1':
        return String(date.getMonth() + 1);
      case '02':
        return pad(date.getDate());
      case '_2':
        return pad(date.getDate(), 2, ' ');
      case '2':
        return String(date.getDate());
      case '15':
        return pad(hour);
      case '03':
        return pad(hour % 12 === 0 ? 12 : hour % 12);
      case '3':
        return String(hour % 12 === 0 ? 12 : hour % 12);
      case '04':
        return pad(date.getMinutes());
      case '4':
        return String(date.getMinutes());
      case '05':
        return pad(date.getSeconds());
      case '5':
        return String(date.getSeconds());
      case 'PM':
        return hour >= 12 ? 'PM' : 'AM';
      case 'pm':
        return hour >= 12 ? 'pm' : 'am';
      case 'Z07:00':
        return offset(offsetMinutes, true, true);
      case 'Z0700':
        return offset(offsetMinutes, false, true);
      case 'Z07':
        return offset(offsetMinutes, false, true).slice(0, 3);
      case '-07:00':
        return offset(offsetMinutes, true, false);
      case '-0700':
        return offset(offsetMinutes, false, false);
      case '-07':
        return offset(offsetMinutes, false, false).slice(0, 3);
      default: {
        // Fractional seconds: `.000` always shows the digits, `.999` drops trailing zeros.
        const digits = (millis + '000000').slice(0, chunk.length - 1);
        if (chunk.charAt(1) === '0') return chunk.charAt(0) + digits;
        const trimmed = digits.replace(/0+$/, '');
        return trimmed === '' ? '' : chunk.charAt(0) + trimmed;
      }
    }
  };
  let out = '';
  for (let at = 0; at < layout.length;) {
    CHUNK.lastIndex = at;
    const match = CHUNK.exec(layout);
    if (match === null) {
      out += layout.charAt(at);
      at += 1;
    } else {
      out += element(match[0]);
      at += match[0].length;
    }
  }
  return out;
}

/** Go's time.Time, as far as templates use it. */
export class GoTime {
  constructor(private readonly date: Date) {}
  Format(layout: unknown): string {
    return formatGoTime(this.date, String(layout));
  }
  /** Go's default print form. */
  String(): string {
    return formatGoTime(this.date, '2006-01-02 15:04:05.999 -0700 MST');
  }
  Unix(): number {
    return Math.floor(this.date.getTime() / 1000);
  }
  toJSON(): string {
    return formatGoTime(this.date, '2006-01-02T15:04:05.999Z07:00');
  }
}
