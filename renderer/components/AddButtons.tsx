import { api } from '../bridge';
import { attempt, reportAdd } from '../state/actions';
import { useApp } from '../state/app';
import { Icon } from './Icon';

/** "Add files" and "Add folder": open the native dialogs; what is chosen goes to the selected profile. */
export function AddButtons({ large = false }: { large?: boolean }) {
  const profileId = useApp((s) => s.profileId);
  const cls = `button${large ? ' primary' : ''}`;
  return (
    <div className="add-buttons">
      <button
        type="button"
        className={cls}
        data-action="add-files"
        onClick={async () => reportAdd(await attempt('Adding files', () => api().addFilesWithDialog({ profileId })))}
      >
        <Icon name="file" /> Add files
      </button>
      <button
        type="button"
        className={large ? 'button' : cls}
        data-action="add-folder"
        onClick={async () => reportAdd(await attempt('Adding a folder', () => api().addFolderWithDialog({ profileId })))}
      >
        <Icon name="folder" /> Add folder
      </button>
    </div>
  );
}
