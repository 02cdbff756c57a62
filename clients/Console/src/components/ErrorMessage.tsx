import type { ApiError } from "../api";

/** An API error in words, announced to screen readers. */
export function ErrorMessage(props: { error: ApiError | null }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {props.error.message}
    </p>
  );
}
